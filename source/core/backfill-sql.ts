import type {RowKey, TableInfo} from './catalog.js';
import type {BackfillSpec} from './plan.js';
import {ident, qualified} from './sql.js';

/**
 * The key a batched backfill walks: the primary key, or else the narrowest unique index over NOT
 * NULL columns (as pgroll does); undefined when the table has neither. A catalog that was not
 * read from a database (lint's assumed one) knows only the primary key's names.
 */
export function walkableKey(table: TableInfo): RowKey | undefined {
	if (table.rowKeys) {
		return table.rowKeys.find(key => key.primary) ?? table.rowKeys.toSorted((a, b) => a.columns.length - b.columns.length || a.index.localeCompare(b.index))[0];
	}

	if (table.primaryKey.length === 0) return undefined;
	const typeOf = (name: string) => table.columns.find(c => (c.physical ?? c.name) === name || c.name === name)?.type ?? 'text';
	return {index: `${table.name}_pkey`, primary: true, columns: table.primaryKey.map(name => ({name, type: typeOf(name)}))};
}

/**
 * How the statements name, order and compare a key. A key is recorded as text in
 * zdm.backfill_batch: one column's own text, or several columns' texts as a JSON array (which no
 * text inside can make ambiguous), and cast back to each column's type wherever a statement uses
 * it. Every comparison is in the index's collation, so the walk's order and the batches' ranges
 * always agree. WHY are the walk's columns qualified? An unqualified ORDER BY name would sort by
 * an output column of that name (the key's text) instead.
 */
export function keyWalk(key: RowKey) {
	const single = key.columns.length === 1;
	const last = key.columns.length - 1;
	const sorted = (index: number, alias?: string) => {
		const column = key.columns[index]!;
		return `${alias ? `${alias}.` : ''}${ident(column.name)}${column.collation ? ` COLLATE ${qualified(column.collation.schema, column.collation.name)}` : ''}`;
	};

	const sortedAll = (alias?: string) => key.columns.map((_, index) => sorted(index, alias));
	const recordedPart = (index: number, n: number) => (single ? `$${n}::${key.columns[0]!.type}` : `($${n}::json ->> ${index})::${key.columns[index]!.type}`);
	const compare = (index: number, operator: string, n: number) => `${sorted(index)} ${operator} ${recordedPart(index, n)}`;
	// A key range spelled out as arms of plain column comparisons: each arm is equalities on
	// leading columns and bounds on the next, where a btree scan starts and stops exactly. WHY not
	// `(a, b) > (…) AND (a, b) <= (…)`? PostgreSQL 15 stops a scan only on a row comparison's first
	// column: with few values of `a`, every batch reads on to the end of its `a` (measured: 807
	// index pages for a batch of 2,000 keys among 1M rows of 5 tenants, against 16 spelled out).
	type Arms = string[][];
	const above = (from: number, n: number): Arms =>
		from === last ? [[compare(from, '>', n)]] : [[compare(from, '>', n)], ...above(from + 1, n).map(arm => [compare(from, '=', n), ...arm])];
	const atMost = (from: number, n: number): Arms =>
		from === last ? [[compare(from, '<=', n)]] : [[compare(from, '<', n)], ...atMost(from + 1, n).map(arm => [compare(from, '=', n), ...arm])];
	const between = (from: number, after: number, upTo: number): Arms =>
		from === last
			? [[compare(from, '>', after), compare(from, '<=', upTo)]]
			: [
					...between(from + 1, after, upTo).map(arm => [compare(from, '=', after), compare(from, '=', upTo), ...arm]),
					...above(from + 1, after).map(arm => [compare(from, '=', after), compare(from, '<', upTo), ...arm]),
					[compare(from, '>', after), compare(from, '<', upTo)],
					...atMost(from + 1, upTo).map(arm => [compare(from, '=', upTo), compare(from, '>', after), ...arm]),
				];
	const anyOf = (arms: Arms) => (arms.length === 1 ? arms[0]!.join(' AND ') : `(${arms.map(arm => `(${arm.join(' AND ')})`).join('\n   OR ')})`);
	const texts = (alias: string) => key.columns.map(column => `${alias}.${ident(column.name)}::text`);
	const recorded = (n: number) => (single ? recordedPart(0, n) : `(${key.columns.map((_, index) => recordedPart(index, n)).join(', ')})`);
	return {
		columns: (alias: string) => key.columns.map(column => `${alias}.${ident(column.name)}`).join(', '),
		order: (alias: string) => sortedAll(alias).join(', '),
		text: (alias: string) => (single ? texts(alias)[0]! : `json_build_array(${texts(alias).join(', ')})::text`),
		/** Keys after the one in $n, as the walk's start: a row comparison positions an ordered index scan, and the walk's LIMIT stops it. */
		after: (n: number) => `${single ? sortedAll()[0]! : `(${sortedAll().join(', ')})`} > ${recorded(n)}`,
		/** Keys after the one in $after (or from the first) up to the one in $upTo. */
		range: (after: number | undefined, upTo: number) => anyOf(after === undefined ? atMost(0, upTo) : between(0, after, upTo)),
	};
}

/**
 * The statements of a backfill. Each batch is a range of the row key, in two statements:
 *
 * - `bound`: where the batch ends, walking the next keys in the key's index (an index-only walk
 *   ahead of the batches, on pages nothing has touched yet). Returns the number of keys and the
 *   last one: the size-th key of the walk; near the end of the table, the keys left, counted, and
 *   the last of them in the walk's order (a window over the rest, read only when no size-th key
 *   exists). No max(): uuid, composite and other keys have none, and the OFFSET walk is cheaper
 *   anyway. No row at all: nothing is left. The first batch starts at the beginning ($1 = size);
 *   every next batch after the previous one's last key ($1 = that key, $2 = size).
 * - `batch`: fill the range with one range UPDATE and record the batch in zdm.backfill_batch, in
 *   one statement: one atomic transaction, so a batch and its record commit together. The first
 *   batch's range is `key <= $1`; every next batch's is `key > $1 AND key <= $2` (for a composite
 *   key, spelled out column by column, see keyWalk). Then, as text:
 *   the migration id, the step number, the batch's sequence number, its first and last key
 *   (exclusive, inclusive) and how many keys it holds.
 *
 * WHY split the walk from the UPDATE? Then the next batch's range is known before this one
 * commits, so several sessions can fill consecutive ranges at once on a server (see backfill.ts).
 * WHY a key range rather than `UPDATE … FROM batch`? Joining the batch makes the planner hash the
 * whole table on every batch; a range on the key is one index range scan, as cheap per row as a
 * single big UPDATE. The UPDATE locks exactly the rows it changes, so writers wait at most one
 * batch, and rows written meanwhile are the sync trigger's job (it skips ours).
 */
export function backfillSpec(table: TableInfo, key: RowKey, column: string, value: string, onlyWhereNull: boolean): BackfillSpec {
	const target = qualified(table.schema, table.name);
	const walk = keyWalk(key);
	const filter = onlyWhereNull ? ` AND ${ident(column)} IS NULL` : '';
	const bound = (after: boolean) => {
		const size = `$${after ? 2 : 1}`;
		const following = after ? `${walk.after(1)} AND ` : '';
		return [
			`WITH nth AS (SELECT ${walk.columns('w')} FROM ${target} AS w${after ? ` WHERE ${walk.after(1)}` : ''} ORDER BY ${walk.order('w')} OFFSET ${size} - 1 LIMIT 1)`,
			`SELECT ${size}::int AS rows, ${walk.text('nth')} AS last_key FROM nth`,
			'UNION ALL',
			`SELECT (count(*) OVER tail)::int, last_value(${walk.text('rest')}) OVER tail`,
			`FROM (SELECT ${walk.columns('w')} FROM ${target} AS w WHERE ${following}NOT EXISTS (SELECT FROM nth) ORDER BY ${walk.order('w')} LIMIT ${size}) AS rest`,
			`WINDOW tail AS (ORDER BY ${walk.order('rest')} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) LIMIT 1`,
		].join('\n');
	};

	const batch = (after: boolean) => {
		const record = after ? 3 : 2;
		const params = [0, 1, 2, 3, 4, 5].map(offset => `$${record + offset}`);
		return [
			`WITH filled AS (UPDATE ${target} SET ${ident(column)} = (\n${value}\n) WHERE ${walk.range(after ? 1 : undefined, after ? 2 : 1)}${filter})`,
			`INSERT INTO zdm.backfill_batch (migration_id, step, seq, after_key, last_key, rows) VALUES (${params.join(', ')})`,
		].join('\n');
	};

	return {
		schema: table.schema,
		table: table.name,
		key,
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
	const walk = keyWalk(spec.key);
	return `SELECT count(*)::int AS rows FROM ${qualified(spec.schema, spec.table)} WHERE ${walk.range(first ? undefined : 1, first ? 1 : 2)}`;
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
