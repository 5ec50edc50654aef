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
	/** The sequence the column owns: its identity's, or a serial's (OWNED BY). */
	sequence?: SequenceInfo;
	/** GENERATED ALWAYS AS (…) STORED: computed from other columns. */
	generated?: boolean;
	/** COMMENT ON COLUMN. */
	comment?: string;
	/** Column-level privileges (GRANT SELECT (col) …), beyond the table's own. */
	grants?: Array<{grantee: string; privilege: string; grantable: boolean}>;
	/** SET STATISTICS, when not the default. */
	statistics?: number;
	/** Attribute options (SET (n_distinct = …)), as `name=value`. */
	options?: string[];
	/**
	 * Compiling only: the physical column that holds this one's values until contract, when it
	 * differs (a rename is a view alias until then; a type change fills a shadow column).
	 */
	physical?: string;
}

/** A sequence a column owns; its numbers as text (bigint does not fit a JS number). */
export interface SequenceInfo {
	schema: string;
	name: string;
	/** An identity's own sequence (GENERATED ALWAYS or BY DEFAULT); otherwise a serial's, OWNED BY. */
	identity?: 'ALWAYS' | 'BY DEFAULT';
	/** format_type() of the sequence's type. */
	type: string;
	start: string;
	increment: string;
	min: string;
	max: string;
	cache: string;
	cycle: boolean;
}

/** An index, a constraint or a statistics object, and the columns it covers. */
export interface DependentInfo {
	kind: 'index' | 'check' | 'foreign key' | 'referenced by' | 'statistics' | 'view' | 'materialized view' | 'rule' | 'policy' | 'trigger' | 'generated column';
	/** A view's or materialized view's name, schema-qualified; a rule's, policy's or trigger's own. */
	name: string;
	/** A view's schema: the previous version schema's views are zdm's own. */
	schema?: string;
	columns: string[];
	/** Index: UNIQUE; a single plain column (no expression, no predicate) can be rebuilt on a shadow column. */
	unique?: boolean;
	simple?: boolean;
	/** Index: the UNIQUE, PRIMARY KEY or EXCLUDE constraint it backs, if any. */
	constraint?: string;
	primary?: boolean;
	/** Index: which kind of constraint it backs. */
	constraintType?: 'unique' | 'primary key' | 'exclude';
	/** PostgreSQL's own definition: pg_get_indexdef, pg_get_constraintdef or pg_get_statisticsobjdef. */
	definition?: string;
	/** A constraint (or an index's constraint): DEFERRABLE, and INITIALLY DEFERRED. */
	deferrable?: boolean;
	deferred?: boolean;
	/** A check or foreign key that is not NOT VALID. */
	validated?: boolean;
	/** COMMENT ON the index, constraint or statistics object; an index's constraint's own comment. */
	comment?: string;
	constraintComment?: string;
	/** Index: CLUSTER ON it, REPLICA IDENTITY USING it, its tablespace when not the default. */
	clustered?: boolean;
	replicaIdentity?: boolean;
	tablespace?: string;
	/** Statistics object: its SET STATISTICS, when not the default. */
	statisticsTarget?: number;
	/** 'referenced by': the table holding the foreign key, and its columns' names and types. */
	referencing?: {schema: string; table: string; columns: string[]; types: string[]};
	/** Compiling only: an earlier operation of the plan already rebuilds it over a shadow column. */
	carried?: boolean;
}

/** A column of a row key, as the table holds it when the catalog is read, and the order its index keeps. */
export interface KeyColumn {
	name: string;
	/** format_type(): a key recorded as text is cast back to this. */
	type: string;
	/** The index's collation, when it is not the column's own: the walk must sort as the index does. */
	collation?: {schema: string; name: string};
}

/**
 * A unique index that names every row, and that a backfill can walk in order: btree with the
 * types' default operator classes, one sort direction, not partial, no expressions, and every
 * column NOT NULL (pgroll's rule for a table without a primary key).
 */
export interface RowKey {
	index: string;
	primary: boolean;
	columns: KeyColumn[];
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
	/** The row keys a backfill can walk, read from the catalog; absent when the catalog is assumed (lint). */
	rowKeys?: RowKey[];
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
