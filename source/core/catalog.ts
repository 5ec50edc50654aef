/** What the operations need to know about a table, read from the catalog before compiling. */
export interface ColumnInfo {
	name: string;
	/** format_type(): the type as PostgreSQL spells it, with its modifiers. */
	type: string;
	notNull: boolean;
	/** pg_get_expr() of the default, or null. */
	default: string | null;
	/** GENERATED … AS IDENTITY: inserts may leave it out, as with a default. */
	identity?: boolean;
	/** COMMENT ON COLUMN, if any. */
	comment?: string;
	/**
	 * Compiling only: the physical column that holds this one's values until contract, when it
	 * differs (a rename is a view alias until then; a type change fills a shadow column).
	 */
	physical?: string;
}

/** An index, or a constraint, and the columns it covers. */
export interface DependentInfo {
	kind: 'index' | 'check' | 'foreign key' | 'referenced by' | 'view' | 'materialized view' | 'rule' | 'policy' | 'trigger';
	/** A view's or materialized view's name, schema-qualified; a rule's, policy's or trigger's own. */
	name: string;
	/** A view's schema: the previous version schema's views are zdm's own. */
	schema?: string;
	columns: string[];
	/** Index: UNIQUE; a single plain column (no expression, no predicate) can be rebuilt on a shadow column. */
	unique?: boolean;
	simple?: boolean;
	/** Index: the UNIQUE or PRIMARY KEY constraint it backs, if any. */
	constraint?: string;
	primary?: boolean;
}

/** An index of the table, as pg_get_indexdef() writes it. */
export interface IndexInfo {
	name: string;
	/** CREATE [UNIQUE] INDEX … exactly as PostgreSQL would recreate it. */
	definition: string;
	columns: string[];
	unique: boolean;
	/** The PRIMARY KEY, UNIQUE or EXCLUDE constraint it backs, if any. */
	constraint?: string;
	/** REPLICA IDENTITY USING INDEX names it. */
	replicaIdentity?: boolean;
	comment?: string;
}

/** A table constraint, as pg_get_constraintdef() writes it. */
export interface ConstraintInfo {
	name: string;
	/** pg_constraint.contype: p(rimary key), u(nique), c(heck), f(oreign key), x (exclusion). */
	type: 'p' | 'u' | 'c' | 'f' | 'x';
	columns: string[];
	definition: string;
	validated: boolean;
	/** A foreign key's referenced table. */
	references?: string;
	comment?: string;
}

export interface TableInfo {
	schema: string;
	name: string;
	/** Compiling only: the table's physical name until contract, when a rename_table gave it another. */
	physical?: string;
	/** Compiling only: created by this plan, so it has no rows and no reader yet. */
	created?: boolean;
	columns: ColumnInfo[];
	primaryKey: string[];
	/** What else hangs on the columns: dropping a column drops these with it. */
	dependents?: DependentInfo[];
	/**
	 * The table's own row triggers (not zdm's): `fires` is pg_trigger.tgenabled — O (origin, the
	 * default), A (always), R (replica only); disabled ones are left out.
	 */
	triggers?: Array<{name: string; fires: 'O' | 'A' | 'R'}>;
	/** The table's indexes and constraints by name (create/drop index and constraint operations). */
	indexes?: IndexInfo[];
	constraints?: ConstraintInfo[];
	/** REPLICA IDENTITY: d(efault), n(othing), f(ull), i(ndex: the index with replicaIdentity). */
	replicaIdentity?: 'd' | 'n' | 'f' | 'i';
	/** Table-level privileges, which the version schema's view of the table is given too. */
	grants?: Array<{grantee: string; privilege: string}>;
}

/** The version schema a completed migration left for the application version still using it. */
export interface VersionSchemaInfo {
	name: string;
	migrationId: string;
	views: string[];
}

export interface Catalog {
	schema: string;
	table(name: string): TableInfo | undefined;
	/** Every table of the schema, by name. */
	tables(): string[];
	/** server_version_num, e.g. 150004. */
	serverVersion: number;
	/** Whether a schema of this name exists in the database. */
	schemaExists(name: string): boolean;
	/** Whether this role may set session_replication_role (a superuser): the backfill then fires no user trigger. */
	mayReplicate?: boolean;
	/** The newest completed migration's version schema: the old application uses it, contract drops it. */
	previousVersion?: VersionSchemaInfo;
}

export function column(table: TableInfo, name: string): ColumnInfo | undefined {
	return table.columns.find(c => c.name === name);
}

/** The column's name in the table itself during the migration. */
export const physicalName = (column: ColumnInfo) => column.physical ?? column.name;

/**
 * The table as its rows are now, with the physical column names: what `up`, `down` and checks
 * are written against and evaluated over (pgroll's convention), in triggers and backfills alike.
 */
export function physicalTable(table: TableInfo): TableInfo {
	return {...structuredClone(table), columns: table.columns.map(({physical, ...column}) => ({...column, name: physical ?? column.name}))};
}
