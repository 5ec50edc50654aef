/** What the operations need to know about a table, read from the catalog before compiling. */
export interface ColumnInfo {
	name: string;
	/** format_type(): the type as PostgreSQL spells it, with its modifiers. */
	type: string;
	notNull: boolean;
	/** pg_get_expr() of the default, or null. */
	default: string | null;
}

export interface TableInfo {
	schema: string;
	name: string;
	columns: ColumnInfo[];
	primaryKey: string[];
}

export interface Catalog {
	schema: string;
	table(name: string): TableInfo | undefined;
}

export function column(table: TableInfo, name: string): ColumnInfo | undefined {
	return table.columns.find(c => c.name === name);
}
