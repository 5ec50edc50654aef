import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {backfillForward, backfillSpec, batchSettings, rangeKeys, walkableKey} from '../../source/core/backfill-sql.js';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {validatePlan} from '../../source/core/plan-file.js';
import type {Plan} from '../../source/core/plan.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {ensureStateSchema, loadBackfillBatches} from '../../source/db/state.js';
import {backends, openBackend} from '../support/databases.js';
import {expectRefused} from '../support/refusal.js';
import {resetMigrations} from '../support/reset.js';
import {keyKindRowsHash, keyKindSetup, keyKinds, keyKindWritten, keysPlan, type KeyKind} from '../support/key-kinds.js';

/**
 * Backfills over every kind of row key (key-kinds.ts): each row filled exactly once and as one
 * big UPDATE would fill it, a stopped run resumed over exactly its unrecorded range, every
 * statement an index range walk, and a table with no usable key refused before anything runs.
 */

const plan = validatePlan(keysPlan);

describe.each(backends())('backfills over any key on %s', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 10));
	});
	afterAll(async () => close());

	async function fresh(kind: KeyKind, rows: number) {
		await resetMigrations(db);
		await db.script(keyKindSetup(kind, rows));
		const {rows: counted} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM items');
		return counted[0]!.count;
	}

	const compile = async (): Promise<Plan> => compilePlan(plan, await readCatalog(db)).plan;
	const backfillSteps = (compiled: Plan) => compiled.steps.filter(step => step.kind === 'backfill');

	const rowsHash = async (kind: KeyKind, table: string) => (await db.query<{hash: string}>(keyKindRowsHash(kind, table))).rows[0]!.hash;

	/** Every key in the order the key's index keeps, as zdm records it. */
	const keysInOrder = async (kind: KeyKind) => (await db.query<{key: string}>(`SELECT ${kind.keyText} AS key FROM items t ORDER BY ${kind.keyOrder}`)).rows.map(row => row.key);

	const written = async (backfill: 'note' | 'qty') => (await db.query<{rows: number; once: number}>(keyKindWritten, [backfill])).rows[0];

	it.each(keyKinds)('$name: every row filled exactly once, as one UPDATE fills it, in consecutive key ranges', async kind => {
		const total = await fresh(kind, 3000);
		const compiled = await compile();
		expect(backfillSteps(compiled).map(step => step.backfill!.key.index)).toEqual([kind.index, kind.index]);
		const executor = await Executor.open(db, compiled, {batchSize: 97});
		expect((await executor.run()).outcome).toBe('complete');
		expect(await rowsHash(kind, 'items')).toBe(await rowsHash(kind, 'expected'));
		expect(await written('note')).toEqual({rows: total, once: total});
		expect(await written('qty')).toEqual({rows: total, once: total});
		const keys = await keysInOrder(kind);
		for (const step of backfillSteps(compiled)) {
			const recorded = await loadBackfillBatches(db, compiled.id, step.number);
			// Handed out in seq order, each starting where the one before ended, to the last key.
			expect(recorded.map(batch => batch.afterKey)).toEqual([null, ...recorded.slice(0, -1).map(batch => batch.lastKey)]);
			expect(recorded.at(-1)!.lastKey).toBe(keys.at(-1));
			expect(recorded.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
		}
	});

	it.each(keyKinds)('$name: a run stopped with a batch lost behind committed ones resumes with exactly that range', async kind => {
		const total = await fresh(kind, 1000);
		const compiled = await compile();
		const first = await Executor.open(db, compiled, {batchSize: 100});
		const step = backfillSteps(first.plan)[0]!;
		while (first.plan.steps[step.number - 1]!.status !== 'executed') await first.step();
		// As if batch 3 never committed while later ones did, and the run stopped in the backfill.
		const lost = (await loadBackfillBatches(db, compiled.id, step.number))[2]!;
		await db.query('DELETE FROM zdm.backfill_batch WHERE migration_id = $1 AND step = $2 AND seq = $3', [compiled.id, step.number, lost.seq]);
		const keys = await keysInOrder(kind);
		const range = keys.slice(keys.indexOf(lost.afterKey!) + 1, keys.indexOf(lost.lastKey) + 1);
		expect(range).toHaveLength(lost.rows);
		expect(Number((await db.query<{rows: number}>(rangeKeys(step.backfill!, false), [lost.afterKey, lost.lastKey])).rows[0]!.rows)).toBe(lost.rows);
		// As the backfill writes, so the old version's sync trigger does not fill the range again.
		await db.transaction(async tx => {
			await tx.query("SELECT set_config('zdm.backfill', 'on', true)");
			await tx.query(`UPDATE items t SET note = NULL WHERE ${kind.keyText} = ANY($1::text[])`, [range]);
		});
		await db.query("UPDATE zdm.steps SET status = 'running' WHERE migration_id = $1 AND number = $2", [compiled.id, step.number]);
		await db.query('DELETE FROM backfill_log');

		const second = await Executor.open(db, compiled, {batchSize: 100});
		expect((await second.run()).outcome).toBe('complete');
		const {rows: again} = await db.query<{key: string}>("SELECT key FROM backfill_log WHERE backfill = 'note' ORDER BY key");
		expect(again.map(row => row.key)).toEqual(range.toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
		expect(await rowsHash(kind, 'items')).toBe(await rowsHash(kind, 'expected'));
		const after = await loadBackfillBatches(db, compiled.id, step.number);
		expect(after.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
	});

	it.each(keyKinds.filter(kind => kind.explain))('$name: every statement walks the key\'s index, none scans or sorts the table', async kind => {
		await fresh(kind, 20_000);
		await db.query('ALTER TABLE items ADD COLUMN note text');
		await db.query('ANALYZE items');
		await ensureStateSchema(db);
		const table = (await readCatalog(db)).table('items')!;
		const key = walkableKey(table)!;
		expect(key.index).toBe(kind.index);
		const spec = backfillSpec(table, key, 'note', "name || '!'", true);
		const [firstBound, firstBatch, nextBound, nextBatch] = backfillForward(spec);
		const keys = await keysInOrder(kind);
		// Batches of 1,000 as a run hands them out: the first, one in the middle, the tail.
		const [first, after, last] = [keys[999]!, keys[5000]!, keys[6000]!];
		// With the backfill's own settings, as its sessions (or, on PGlite, its batches' transactions) have them.
		const explain = async (sql: string, params: unknown[]) =>
			db.transaction(async tx => {
				await tx.query(batchSettings, ['1s', true]);
				return (await tx.query(`EXPLAIN ${sql}`, params)).rows.map(row => String(Object.values(row)[0])).join('\n');
			});
		const walksIndex = new RegExp(`(Index (Only )?Scan( Backward)? using|Bitmap Index Scan on) ${kind.index}\\b`);
		for (const [sql, params] of [
			[firstBound, [1000]],
			[nextBound, [after, 1000]],
			[firstBatch, [first, 'MIG-X', 2, 1, null, first, 1000]],
			[nextBatch, [after, last, 'MIG-X', 2, 2, after, last, 1000]],
			[rangeKeys(spec, true), [first]],
			[rangeKeys(spec, false), [after, last]],
		] as const) {
			const shown = await explain(sql, [...params]);
			expect(shown, sql).not.toMatch(/Seq Scan on items/);
			expect(shown, sql).not.toMatch(/Sort/);
			expect(shown, sql).toMatch(walksIndex);
		}

		// The UPDATE's range is one index range: both bounds are index conditions.
		expect(await explain(nextBatch, [after, last, 'MIG-X', 2, 2, after, last, 1000])).toMatch(/Index Cond: \(.*>.*AND.*<=.*\)/);
		// Near the end, where no size-th key exists and the few keys left are counted, still by the index.
		const tail = await explain(nextBound, [keys.at(-10)!, 1000]);
		expect(tail).not.toMatch(/Seq Scan on items/);
		expect(tail).toMatch(walksIndex);
	});

	/** Index pages a statement reads, summed over its index scans (EXPLAIN ANALYZE, BUFFERS). */
	const indexPagesRead = (plan: string[]) => {
		let pages = 0;
		for (const [index, line] of plan.entries()) {
			if (!/Index (Only )?Scan|Bitmap Index Scan/.test(line)) continue;
			// The node's own details are the lines indented deeper than it, up to the next node.
			const depth = line.search(/\S/);
			const details = plan.slice(index + 1);
			const end = details.findIndex(next => next.search(/\S/) <= depth || next.includes('->'));
			const own = end === -1 ? details : details.slice(0, end);
			for (const [, count] of own.find(next => next.includes('Buffers:'))?.matchAll(/(?:hit|read)=(\d+)/g) ?? []) pages += Number(count);
		}

		return pages;
	};

	it('a composite key whose first column has few values: a batch reads only its own index pages', async () => {
		await resetMigrations(db);
		await db.script(`DROP TABLE IF EXISTS items, expected, backfill_log CASCADE;
			CREATE TABLE items (tenant int, label text, name text NOT NULL, note text, PRIMARY KEY (tenant, label));
			INSERT INTO items SELECT g % 2, 'label ' || g, 'item ' || g FROM generate_series(1, 40000) g;`);
		await db.query('VACUUM ANALYZE items');
		await ensureStateSchema(db);
		const table = (await readCatalog(db)).table('items')!;
		const spec = backfillSpec(table, walkableKey(table)!, 'note', 'name', true);
		const keys = (await db.query<{key: string}>('SELECT json_build_array(tenant::text, label::text)::text AS key FROM items ORDER BY tenant, label')).rows.map(row => row.key);
		// 100 keys early in tenant 0's 20,000: a scan that ran on to the tenant's end would read ~50 leaf pages.
		// (EXPLAIN ANALYZE runs the batch: its 100 rows are filled.)
		const [after, last] = [keys[2500]!, keys[2600]!];
		const analyse = async (sql: string, params: unknown[]) =>
			db.transaction(async tx => {
				await tx.query(batchSettings, ['1s', true]);
				const {rows} = await tx.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
				return rows.map(row => String(Object.values(row)[0]));
			});
		const counted = await analyse(rangeKeys(spec, false), [after, last]);
		expect(indexPagesRead(counted), counted.join('\n')).toBeLessThan(12);
		const filled = await analyse(spec.nextBatch, [after, last, 'MIG-X', 2, 2, after, last, 100]);
		expect(indexPagesRead(filled), filled.join('\n')).toBeLessThan(12);
		expect(Number((await db.query<{n: number}>('SELECT count(*)::int AS n FROM items WHERE note IS NOT NULL')).rows[0]!.n)).toBe(100);
	});

	it('refuses a table with no usable key before anything runs, and says what to add', async () => {
		await resetMigrations(db);
		await db.script(`DROP TABLE IF EXISTS items, expected, backfill_log CASCADE;
			CREATE TABLE items (code text UNIQUE, slot int NOT NULL, name text NOT NULL, qty int NOT NULL);
			CREATE UNIQUE INDEX items_slot_positive ON items (slot) WHERE slot > 0;
			CREATE UNIQUE INDEX items_lower_name ON items (lower(name));
			INSERT INTO items SELECT 'c' || g, g, 'item ' || g, g FROM generate_series(1, 50) g;`);
		await expectRefused(db, keysPlan, /operations\[0\]\.add_column: table "items" has no key to walk a batched backfill by: .* add a primary key to "items" first, or a unique index on NOT NULL columns/);
	});
});
