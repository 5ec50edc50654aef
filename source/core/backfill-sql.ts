import type {TableInfo} from './catalog.js';
import type {BackfillSpec} from './plan.js';
import {ident, qualified} from './sql.js';

/**
 * The statements of a backfill. Each batch is a key range of the primary key, in two statements:
 *
 * - `bound`: where the batch ends, walking the next keys in the primary key's index (an
 *   index-only walk ahead of the batches, on pages nothing has touched yet). Returns the number of
 *   keys and the last one. The first batch starts at the beginning ($1 = size); every next batch
 *   after the previous one's last key ($1 = that key, $2 = size).
 * - `batch`: fill the range with one range UPDATE and record the batch in zdm.backfill_batch, in
 *   one statement: one atomic transaction, so a batch and its record commit together. The first
 *   batch's range is `key <= $1`; every next batch's is `key > $1 AND key <= $2`. Then, as text:
 *   the migration id, the step number, the batch's sequence number, its first and last key
 *   (exclusive, inclusive) and how many keys it holds.
 *
 * WHY split the walk from the UPDATE? Then the next batch's range is known before this one
 * commits, so several sessions can fill consecutive ranges at once on a server (see backfill.ts).
 * WHY a key range rather than `UPDATE … FROM batch`? Joining the batch makes the planner hash the
 * whole table on every batch; a range on the primary key is one index range scan, as cheap per
 * row as a single big UPDATE. The UPDATE locks exactly the rows it changes, so writers wait at
 * most one batch, and rows written meanwhile are the sync trigger's job (it skips ours).
 */
export function backfillSpec(table: TableInfo, key: string, column: string, value: string, onlyWhereNull: boolean): BackfillSpec {
	const target = qualified(table.schema, table.name);
	const pk = ident(key);
	const filter = onlyWhereNull ? ` AND ${ident(column)} IS NULL` : '';
	const bound = (after: boolean) =>
		`SELECT count(*)::int AS rows, max(_zdm_key)::text AS last_key FROM (SELECT ${pk} AS _zdm_key FROM ${target}${after ? ` WHERE ${pk} > $1` : ''} ORDER BY ${pk} LIMIT $${after ? 2 : 1}) AS batch`;
	const batch = (after: boolean) => {
		const record = after ? 3 : 2;
		const params = [0, 1, 2, 3, 4, 5].map(offset => `$${record + offset}`);
		return [
			`WITH filled AS (UPDATE ${target} SET ${ident(column)} = (\n${value}\n) WHERE ${after ? `${pk} > $1 AND ${pk} <= $2` : `${pk} <= $1`}${filter})`,
			`INSERT INTO zdm.backfill_batch (migration_id, step, seq, after_key, last_key, rows) VALUES (${params.join(', ')})`,
		].join('\n');
	};

	return {
		schema: table.schema,
		table: table.name,
		primaryKey: key,
		column,
		firstBound: bound(false),
		firstBatch: batch(false),
		nextBound: bound(true),
		nextBatch: batch(true),
	};
}

/** What a backfill step shows as its forward SQL: exactly its four statements, in order. */
export const backfillForward = (spec: BackfillSpec) => [spec.firstBound, spec.firstBatch, spec.nextBound, spec.nextBatch];

/** The keys in a range a stopped run left unrecorded ($1 after, exclusive, unless first; then the last key). */
export function rangeKeys(spec: BackfillSpec, first: boolean): string {
	const pk = ident(spec.primaryKey);
	return `SELECT count(*)::int AS rows FROM ${qualified(spec.schema, spec.table)} WHERE ${first ? `${pk} <= $1` : `${pk} > $1 AND ${pk} <= $2`}`;
}

/**
 * The backfill's settings in one round trip: the lock timeout ($1, e.g. '500ms') and the
 * zdm.backfill flag the sync triggers skip (see triggers.ts); $2 is true for "this transaction
 * only", false for a whole session of its own. WHY no wait for the commit to reach disk? A crash
 * can lose only whole batches, each recorded with its own rows, so a resume does them again:
 * nothing is done twice, and no batch pays for a flush.
 */
export const batchSettings =
	"SELECT set_config('lock_timeout', $1, $2), set_config('zdm.backfill', 'on', $2), set_config('synchronous_commit', 'off', $2), " +
	// WHY replica? The backfill computes the new column itself: the table's own triggers (updated_at,
	// audit) must not fire for every row. Only a superuser may set it; others get lint's warning.
	"CASE WHEN current_setting('is_superuser') = 'on' THEN set_config('session_replication_role', 'replica', $2) END";
