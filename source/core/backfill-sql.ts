import type {RowKey, TableInfo} from './catalog.js';
import type {BackfillSpec} from './plan.js';
import {ident, qualified} from './sql.js';

/**
 * The key a backfilled table's rows are named by: the primary key, or else the narrowest unique
 * index over NOT NULL columns (as pgroll requires); undefined when the table has neither. A
 * catalog that was not read from a database (lint's assumed one) knows only the primary key's names.
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
 * How statements show and order a row's key: one column's own text, or several columns' texts as
 * a JSON array (which no text inside can make ambiguous), sorted in the index's collation. WHY
 * are the columns qualified? An unqualified ORDER BY name would sort by an output column of that
 * name (the key's text) instead.
 */
export function keyWalk(key: RowKey) {
	const single = key.columns.length === 1;
	const sorted = (alias: string) =>
		key.columns.map(column => `${alias}.${ident(column.name)}${column.collation ? ` COLLATE ${qualified(column.collation.schema, column.collation.name)}` : ''}`);
	const texts = (alias: string) => key.columns.map(column => `${alias}.${ident(column.name)}::text`);
	return {
		order: (alias: string) => sorted(alias).join(', '),
		text: (alias: string) => (single ? texts(alias)[0]! : `json_build_array(${texts(alias).join(', ')})::text`),
	};
}

/**
 * A table and every table under it (partitions, inheritance children), as `tree.relid`, from the
 * relation in parameter $n. WHY? A partitioned table's rows live in its descendants, each with
 * pages of its own: a range of pages is read in every one.
 */
export const relationTree = (n = 1) => `WITH RECURSIVE tree AS (SELECT $${n}::regclass::oid AS relid UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.relid)`;

/** The files the tree's rows are in now: a rewrite (VACUUM FULL, CLUSTER, pg_repack) changes it. */
const filesOfTree = "coalesce(string_agg(pg_relation_filenode(relid)::text, ',' ORDER BY relid), '')";

/** The table's size in pages now, its largest descendant's (a range of pages is read in each), and its files ($1 = the relation). */
export const tablePages = `${relationTree()}\nSELECT (coalesce(max(pg_relation_size(relid)), 0) / current_setting('block_size')::int)::int AS pages, ${filesOfTree} AS files FROM tree`;

/** The first tuple of a page, as a TID range's bound. */
export const tid = (page: number) => `(${page},0)`;

/** Why a backfill step exists, as the dashboard shows it. */
export const backfillWhy = 'Batches of the table\'s pages, each its own short transaction: writers wait for one batch at most, never the whole table.';

/**
 * The statements of a backfill. Each batch is a range of pages, filled by one UPDATE:
 *
 * - `pages`: the table's size in pages now (its largest descendant's) and its files ($1 = the
 *   relation). Every row there before the sync trigger is in those pages; every row written
 *   since went through the trigger (or is the new version's own).
 * - `pageBatch`: fill the rows of the pages from $1 up to $2 (tids `(page,0)`) whose column is
 *   still empty, if the table ($3) is still in the files its pages were read in ($4). After a
 *   rewrite its rows are on other pages, and the statement fills nothing (one check per batch,
 *   made under the UPDATE's own lock, so no rewrite can come between).
 * - `recordBatch` (the same for every backfill), in the same transaction: the batch's migration,
 *   step, sequence number, first and end page, the rows it filled and the files.
 *
 * WHY pages rather than ranges of the key? A TID range scan reads the heap as a sequential scan
 * does: no walk ahead to find where a batch ends, no index scan per batch. On PGlite, batches of
 * the key cost 1.5× one big UPDATE (the walk, and the index range scan); batches of pages cost
 * what it costs. The UPDATE locks exactly the rows it changes, so writers wait at most one batch.
 * WHY "still empty"? A row an application wrote meanwhile was filled by the sync trigger (or by
 * the new version itself, whose value is the truth), and may have moved to a page not yet done.
 * WHY a plain UPDATE and a separate record? The rows it filled are its command tag, free; taken
 * from `RETURNING` inside one statement, they cost 5–10 % of the batch (measured on PGlite).
 */
export function backfillSpec(table: TableInfo, key: RowKey, column: string, value: string): BackfillSpec {
	const target = qualified(table.schema, table.name);
	return {
		schema: table.schema,
		table: table.name,
		key,
		column,
		relation: target,
		pages: tablePages,
		pageBatch: `UPDATE ${target} SET ${ident(column)} = (\n${value}\n) WHERE ctid >= $1::tid AND ctid < $2::tid AND (${relationTree(3)} SELECT ${filesOfTree} FROM tree) = $4 AND ${ident(column)} IS NULL`,
	};
}

/**
 * The BEFORE UPDATE row triggers of a plain table ($1), each with the statement that creates it
 * again, and whether it is zdm's own: named with one of the prefixes in $2, and enabled as
 * created. Read with `search_path = pg_catalog`, so the statements name every schema and mean the
 * same whatever a later search_path is.
 *
 * WHY? A table with any BEFORE UPDATE row trigger has each updated row fetched and locked for it,
 * skipped or not: a second WAL record a row, 12–17 % of a backfill's time (profile). On the
 * embedded database one backend runs every statement and a transaction excludes all others, so a
 * batch may drop zdm's sync triggers and create them again before it commits: no one ever sees
 * the table without them. A server's writers would, so there they stay.
 */
export const beforeUpdateTriggers =
	"SELECT t.tgname AS name, pg_get_triggerdef(t.oid) AS definition, t.tgenabled = 'O' AND EXISTS (SELECT FROM unnest($2::text[]) AS prefix WHERE starts_with(t.tgname, prefix)) AS own " +
	"FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgrelid = $1::regclass AND c.relkind = 'r' AND t.tgtype & 19 = 19 ORDER BY t.tgname";

/** Drop one of zdm's sync triggers for the length of a batch (see beforeUpdateTriggers). */
export const setAside = (trigger: string, relation: string) => `DROP TRIGGER ${ident(trigger)} ON ${relation}`;

/** A committed batch's record: migration, step, seq, first page, end page, rows filled, files. */
export const recordBatch = 'INSERT INTO zdm.backfill_batch (migration_id, step, seq, after_key, last_key, rows, pages_of) VALUES ($1, $2, $3, $4, $5, $6, $7)';

/** What a backfill step shows as its forward SQL: exactly its three statements, in order. */
export const backfillForward = (spec: BackfillSpec) => [spec.pages, spec.pageBatch, recordBatch];

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
