import type {TableInfo} from './catalog.js';
import type {BackfillSpec} from './plan.js';
import {ident, qualified} from './sql.js';

/**
 * The statement one backfill batch runs: find the next keys by primary key (an index-only walk),
 * fill that key range with one range UPDATE, save the cursor, and return how many keys and the
 * last one. One statement is one atomic transaction: the rows and their cursor commit together,
 * in a single round trip.
 *
 * WHY a key range rather than `UPDATE … FROM batch`? Joining the batch makes the planner hash the
 * whole table on every batch; a range on the primary key is one index range scan, as cheap per
 * row as a single big UPDATE. The UPDATE locks exactly the rows it changes, so writers wait at
 * most one batch, and rows written meanwhile are the sync trigger's job (it skips ours).
 *
 * Parameters after the batch's own ($1 size, or $1 cursor and $2 size): the migration id, the
 * step number, the rows done before this batch and the rows in the table (see zdm.backfill).
 */
export function backfillSpec(table: TableInfo, key: string, column: string, value: string, onlyWhereNull: boolean): BackfillSpec {
	const target = qualified(table.schema, table.name);
	const pk = ident(key);
	const filter = onlyWhereNull ? ` AND ${ident(column)} IS NULL` : '';
	const batch = (after: string | undefined, limit: string, state: number) =>
		[
			`WITH batch AS (SELECT ${pk} AS _zdm_key FROM ${target}${after ? ` WHERE ${pk} > ${after}` : ''} ORDER BY ${pk} LIMIT ${limit}),`,
			'bounds AS (SELECT count(*)::int AS rows, max(_zdm_key) AS last_key FROM batch),',
			`filled AS (UPDATE ${target} SET ${ident(column)} = (\n${value}\n) WHERE ${after ? `${pk} > ${after} AND ` : ''}${pk} <= (SELECT last_key FROM bounds)${filter}),`,
			`saved AS (INSERT INTO zdm.backfill (migration_id, step, cursor, rows_done, rows_total) SELECT $${state}::text, $${state + 1}::int, last_key::text, $${state + 2}::bigint + rows, GREATEST($${state + 3}::bigint, $${state + 2}::bigint + rows) FROM bounds WHERE rows > 0`,
			'\tON CONFLICT (migration_id, step) DO UPDATE SET cursor = EXCLUDED.cursor, rows_done = EXCLUDED.rows_done, rows_total = EXCLUDED.rows_total, updated_at = now())',
			'SELECT rows, last_key::text AS cursor FROM bounds',
		].join('\n');
	return {
		schema: table.schema,
		table: table.name,
		primaryKey: key,
		column,
		firstBatch: batch(undefined, '$1', 2),
		nextBatch: batch('$1', '$2', 3),
	};
}

/**
 * The backfill's settings in one round trip: the lock timeout ($1, e.g. '500ms') and the
 * zdm.backfill flag the sync triggers skip (see triggers.ts); $2 is true for "this transaction
 * only", false for a whole session of its own. WHY no wait for the commit to reach disk? A crash
 * can lose only whole batches, each with its own cursor, so a resume does them again: nothing is
 * done twice, and no batch pays for a flush.
 */
export const batchSettings = "SELECT set_config('lock_timeout', $1, $2), set_config('zdm.backfill', 'on', $2), set_config('synchronous_commit', 'off', $2)";
