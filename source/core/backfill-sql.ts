import type {TableInfo} from './catalog.js';
import type {BackfillSpec} from './plan.js';
import {ident, qualified} from './sql.js';

/**
 * The statements one backfill batch runs: lock the next rows by primary key (FOR NO KEY UPDATE,
 * so inserts and other keys go on), fill them, and return how many rows and the last key, which
 * becomes the cursor saved with the batch.
 */
export function backfillSpec(table: TableInfo, key: string, column: string, value: string, onlyWhereNull: boolean): BackfillSpec {
	const target = qualified(table.schema, table.name);
	const pk = ident(key);
	const filter = onlyWhereNull ? ` AND ${target}.${ident(column)} IS NULL` : '';
	const batch = (where: string, limit: string) =>
		[
			`WITH batch AS (SELECT ${pk} AS _zdm_key FROM ${target}${where} ORDER BY ${pk} LIMIT ${limit} FOR NO KEY UPDATE),`,
			`filled AS (UPDATE ${target} SET ${ident(column)} = (\n${value}\n) FROM batch WHERE ${target}.${pk} = batch._zdm_key${filter})`,
			'SELECT count(*)::int AS rows, max(_zdm_key)::text AS cursor FROM batch',
		].join('\n');
	return {
		schema: table.schema,
		table: table.name,
		primaryKey: key,
		column,
		firstBatch: batch('', '$1'),
		nextBatch: batch(` WHERE ${pk} > $1`, '$2'),
	};
}

/** Set before every batch, in the batch's own transaction (see triggers.ts). */
export const backfillSetting = "SET LOCAL zdm.backfill = 'on'";
