import {ident, qualified} from '../core/sql.js';
import type {Database} from './database.js';
import type {TableRows} from './generate-rows.js';
import type {RehearsalSource} from './rehearsal-source.js';
import type {TableInfo} from './row-catalog.js';

/** Rows per INSERT: a JSON array of a few hundred KB at most for ordinary rows. */
const chunkRows = 1000;

/**
 * --copy-rows: up to `limit` real rows of each table, read in the source's read-only transaction
 * as JSON and turned back into rows by the copy itself (json_populate_recordset parses every type
 * from its text form). Foreign keys come later: a sampled child whose parent was not sampled
 * leaves that key NOT VALID, and rehearsal says so.
 */
export async function copyRows(db: Database, source: RehearsalSource, tables: TableInfo[], limit: number): Promise<TableRows[]> {
	const results: TableRows[] = [];
	for (const table of tables) {
		// Generated columns are computed again; identity columns keep the production values.
		const columns = table.columns.filter(column => !column.generated).map(column => column.name);
		const target = qualified(table.schema, table.table);
		const list = columns.map(column => ident(column)).join(', ');
		let rows = 0;
		let read = 0;
		try {
			const sample = await source.sampleRows(table, columns, limit);
			read = sample.length;
			for (let start = 0; start < sample.length; start += chunkRows) {
				const chunk = `[${sample.slice(start, start + chunkRows).join(',')}]`;
				const {rowCount} = await db.query(`INSERT INTO ${target} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM json_populate_recordset(NULL::${target}, $1::json) ON CONFLICT DO NOTHING`, [chunk]);
				rows += rowCount;
			}

			results.push({schema: table.schema, table: table.table, wanted: limit, rows, ...(read > rows ? {note: `${read - rows} copied rows were refused by a unique key and left out`} : {})});
		} catch (error) {
			results.push({schema: table.schema, table: table.table, wanted: limit, rows, note: `copying failed: ${(error as Error).message.split('\n')[0]}`});
		}
	}

	return results;
}
