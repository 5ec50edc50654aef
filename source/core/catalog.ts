/** What the operations need to know about a table, read from the catalog before compiling. */
export interface ColumnInfo {
	name: string;
	/** format_type(): the type as PostgreSQL spells it, with its modifiers. */
	type: string;
	notNull: boolean;
	/** pg_get_expr() of the default, or null. */
	default: string | null;
}

/** An index, or a constraint, and the columns it covers. */
export interface DependentInfo {
	kind: 'index' | 'check' | 'foreign key' | 'referenced by';
	name: string;
	columns: string[];
	/** Index: UNIQUE; a single plain column (no expression, no predicate) can be rebuilt on a shadow column. */
	unique?: boolean;
	simple?: boolean;
	/** Index: the UNIQUE or PRIMARY KEY constraint it backs, if any. */
	constraint?: string;
	primary?: boolean;
}

export interface TableInfo {
	schema: string;
	name: string;
	columns: ColumnInfo[];
	primaryKey: string[];
	/** What else hangs on the columns: dropping a column drops these with it. */
	dependents?: DependentInfo[];
}

export interface Catalog {
	schema: string;
	table(name: string): TableInfo | undefined;
}

export function column(table: TableInfo, name: string): ColumnInfo | undefined {
	return table.columns.find(c => c.name === name);
}
