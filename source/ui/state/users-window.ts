/** The slice of the demo table on screen: a handful of rows after a key, never the whole table. */
export interface UsersWindow {
	/** The base schema, or a version schema whose view of the table this is. */
	schema: string;
	table: string;
	/** The single-column primary key the window walks; empty for a table without one (its first rows, numbered, do not scroll). */
	key: string;
	columns: string[];
	rows: Array<{key: string; cells: Record<string, string | null>}>;
	/** The planner's estimate (pg_class.reltuples): free to read, unlike count(*). */
	estimatedRows: number;
	/** Key of the row just above the window; null when the window starts at the first row. */
	after: string | null;
	/** Why there is nothing to show (no such table, or not in this version). */
	unavailable?: string;
}

export const cellId = (key: string, column: string) => `${key}\u0000${column}`;

/**
 * Cells that differ from the baseline (the window as it was when the step started). A column the
 * baseline did not have is new as a whole; rows the baseline never saw are not compared.
 */
export function changedCells(baseline: UsersWindow | undefined, current: UsersWindow): {cells: Set<string>; newColumns: string[]} {
	const cells = new Set<string>();
	// Another table, another version's view of it, or nothing to compare with: nothing changed.
	if (!baseline || baseline.unavailable || baseline.table !== current.table || baseline.schema !== current.schema) return {cells, newColumns: []};
	const newColumns = current.columns.filter(column => !baseline.columns.includes(column));
	const before = new Map(baseline.rows.map(row => [row.key, row.cells]));
	for (const row of current.rows) {
		const old = before.get(row.key);
		if (!old) continue;
		for (const column of current.columns) {
			if (newColumns.includes(column) ? row.cells[column] !== null : old[column] !== row.cells[column]) cells.add(cellId(row.key, column));
		}
	}

	return {cells, newColumns};
}
