import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {backfillSpec, walkableKey} from '../../source/core/backfill-sql.js';
import {unrecordedRanges} from '../../source/core/backfill.js';
import {compilePlan} from '../../source/core/compile.js';
import {ZdmError} from '../../source/core/errors.js';
import {Executor} from '../../source/core/executor.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {ensureStateSchema, loadBackfillBatches} from '../../source/db/state.js';
import {backends, openBackend} from '../support/databases.js';
import {resetMigrations} from '../support/reset.js';

const sample = 'samples/add-display-name.yaml';

describe.each(backends())('the backfill on %s', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 10));
	});
	afterAll(async () => close());

	/** users with gaps in its keys, and a log of every row the backfill itself writes. */
	async function fresh(rows: number) {
		await resetMigrations(db);
		await db.query('DROP TABLE IF EXISTS users CASCADE');
		await db.query('DROP TABLE IF EXISTS backfill_log');
		await db.query('DROP FUNCTION IF EXISTS log_backfill()');
		const {seedUsers} = await import('../../source/db/seed.js');
		await seedUsers(db, {rows});
		await db.query('DELETE FROM users WHERE id % 7 = 0 OR id BETWEEN 300 AND 420');
		await db.query('CREATE TABLE backfill_log (id bigint NOT NULL, pid int NOT NULL)');
		await db.script(`CREATE FUNCTION log_backfill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO backfill_log VALUES (NEW.id, pg_backend_pid()); RETURN NEW; END $$;
			CREATE TRIGGER log_backfill AFTER UPDATE ON users FOR EACH ROW WHEN (current_setting('zdm.backfill', true) = 'on') EXECUTE FUNCTION log_backfill();
			-- ALWAYS: the backfill runs with session_replication_role = replica, where ordinary triggers stay quiet.
			ALTER TABLE users ENABLE ALWAYS TRIGGER log_backfill;`);
		const {rows: counted} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users');
		return counted[0]!.count;
	}

	const compile = async () => compilePlan(readPlanFile(sample), await readCatalog(db)).plan;

	async function expectEveryRowFilledOnce(total: number) {
		const {rows: wrong} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users WHERE display_name IS DISTINCT FROM initcap(username)');
		expect(wrong[0]!.count).toBe(0);
		const {rows: log} = await db.query<{rows: number; once: number}>('SELECT count(*)::int AS rows, count(DISTINCT id)::int AS once FROM backfill_log');
		expect(log[0]).toEqual({rows: total, once: total});
	}

	/** Batches sorted by their keys (on a server two sessions commit them in either order). */
	const byKeys = <T extends {to: string | null}>(batches: T[]) => batches.toSorted((a, b) => Number(a.to) - Number(b.to));

	it('fills every row exactly once across gaps in the keys, each batch a key range', async () => {
		const total = await fresh(1000);
		const executor = await Executor.open(db, await compile(), {batchSize: 97});
		const batches: Array<{from: string | null; to: string | null; done: number}> = [];
		executor.on(event => {
			// The verify step walks the key in batches too; only the backfill's are counted here.
			if (event.type === 'batch' && event.step.kind === 'backfill') batches.push({from: event.fromKey, to: event.toKey, done: event.rowsDone});
		});
		expect((await executor.run()).outcome).toBe('complete');
		await expectEveryRowFilledOnce(total);
		// Consecutive ranges: each batch starts where another ended, and the count adds up.
		const ranges = byKeys(batches);
		for (const [index, batch] of ranges.entries()) expect(batch.from).toBe(index === 0 ? null : ranges[index - 1]!.to);
		expect(batches.at(-1)!.done).toBe(total);
		const recorded = await loadBackfillBatches(db, executor.plan.id, executor.plan.steps.find(step => step.kind === 'backfill')!.number);
		expect(recorded.map(batch => batch.seq)).toEqual(recorded.map((_, index) => index + 1));
		expect(recorded.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
	});

	it.each([1, 2, 3])(`with backfillWorkers %i, fills batches on ${backend === 'server' ? 'that many sessions at once' : 'its one connection'}`, async workers => {
		const total = await fresh(1000);
		const executor = await Executor.open(db, await compile(), {batchSize: 97, backfillWorkers: workers});
		expect((await executor.run()).outcome).toBe('complete');
		await expectEveryRowFilledOnce(total);
		const {rows} = await db.query<{sessions: number}>('SELECT count(DISTINCT pid)::int AS sessions FROM backfill_log');
		expect(rows[0]!.sessions).toBe(backend === 'server' ? workers : 1);
	});

	/**
	 * Each key of the table lies in exactly one committed batch's range. WHY this as well as the
	 * write log? The add_column backfill only fills rows still NULL: a batch done again writes no
	 * row, so only its record shows it.
	 */
	async function expectEachKeyInOneBatch(id: string, step: number) {
		const {rows} = await db.query<{key: string; batches: number}>(
			`SELECT u.id::text AS key, (SELECT count(*)::int FROM zdm.backfill_batch b
			    WHERE b.migration_id = $1 AND b.step = $2 AND (b.after_key IS NULL OR u.id > b.after_key::bigint) AND u.id <= b.last_key::bigint) AS batches
			   FROM users u ORDER BY u.id`,
			[id, step],
		);
		expect(rows.filter(row => row.batches !== 1).slice(0, 5), 'keys not in exactly one recorded batch').toEqual([]);
	}

	const hashRows = async () => (await db.query<{hash: string}>("SELECT md5(string_agg(id || ':' || username || ':' || coalesce(email, '-'), ',' ORDER BY id)) AS hash FROM users")).rows[0]!.hash;

	// add-display-name fills only rows still NULL (a redo writes nothing); change-email-type's
	// backfill writes every row of its range (a redo writes each row again).
	it.each([
		[sample, "display_name IS DISTINCT FROM initcap(username)"],
		['samples/change-email-type.json', 'false'],
	])('%s: resumes after an interruption from the saved cursor, doing no row twice', async (planFile, wrongRows) => {
		const total = await fresh(1000);
		const before = await hashRows();
		const plan = compilePlan(readPlanFile(planFile), await readCatalog(db)).plan;
		const controller = new AbortController();
		const first = await Executor.open(db, plan, {batchSize: 50, signal: controller.signal});
		let seen = 0;
		first.on(event => {
			if (event.type === 'batch' && ++seen === 4) controller.abort();
		});
		await expect(first.run()).rejects.toThrow(ZdmError);
		const step = first.plan.steps.find(candidate => candidate.kind === 'backfill')!;
		const saved = await loadBackfillBatches(db, plan.id, step.number);
		const savedRows = saved.reduce((sum, batch) => sum + batch.rows, 0);
		// The fourth batch stopped it; on a server the other session's batch in flight commits too.
		expect(savedRows).toBeGreaterThanOrEqual(200);
		expect(savedRows).toBeLessThanOrEqual(backend === 'server' ? 250 : 200);
		const {rows: written} = await db.query<{rows: number; once: number}>('SELECT count(*)::int AS rows, count(DISTINCT id)::int AS once FROM backfill_log');
		expect(written[0]).toEqual({rows: savedRows, once: savedRows});

		const second = await Executor.open(db, plan, {batchSize: 50});
		const resumedFrom: Array<string | null> = [];
		second.on(event => {
			// The verify step (in contract) starts at the first key by design; only the backfill resumes.
			if (event.type === 'batch' && event.step.kind === 'backfill') resumedFrom.push(event.fromKey);
		});
		expect((await second.run()).outcome).toBe('complete');
		// Every row written by the backfill exactly once, over both runs.
		const {rows: log} = await db.query<{rows: number; once: number}>('SELECT count(*)::int AS rows, count(DISTINCT id)::int AS once FROM backfill_log');
		expect(log[0]).toEqual({rows: total, once: total});
		await expectEachKeyInOneBatch(plan.id, step.number);
		const recorded = await loadBackfillBatches(db, plan.id, step.number);
		expect(recorded.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
		// The resumed run starts past the saved batches, never at the first key again.
		expect(resumedFrom).not.toContain(null);
		const {rows: wrong} = await db.query<{count: number}>(`SELECT count(*)::int AS count FROM users WHERE ${wrongRows}`);
		expect(wrong[0]!.count).toBe(0);
		expect(await hashRows()).toBe(before);
	});

	// The third batch lost, or the first (whose range has no lower key).
	it.each([2, 0])('resumes a run stopped with a batch in flight behind committed ones (batch index %i lost): only the unrecorded range is done', async lostIndex => {
		const total = await fresh(1000);
		const plan = await compile();
		const first = await Executor.open(db, plan, {batchSize: 100});
		const step = first.plan.steps.find(candidate => candidate.kind === 'backfill')!;
		while (first.plan.steps[step.number - 1]!.status !== 'executed') await first.step();
		// Make it as if batch 3 never committed while 4 and later did, and the run stopped in the backfill.
		const recorded = await loadBackfillBatches(db, plan.id, step.number);
		const lost = recorded[lostIndex]!;
		expect(lost.afterKey === null).toBe(lostIndex === 0);
		await db.query('DELETE FROM zdm.backfill_batch WHERE migration_id = $1 AND step = $2 AND seq = $3', [plan.id, step.number, lost.seq]);
		// As the backfill writes, so the old version's sync trigger does not fill the range again.
		await db.transaction(async tx => {
			await tx.query("SELECT set_config('zdm.backfill', 'on', true)");
			await tx.query('UPDATE users SET display_name = NULL WHERE ($1::bigint IS NULL OR id > $1::bigint) AND id <= $2::bigint', [lost.afterKey, lost.lastKey]);
		});
		await db.query("UPDATE zdm.steps SET status = 'running' WHERE migration_id = $1 AND number = $2", [plan.id, step.number]);
		await db.query('DELETE FROM backfill_log');

		const second = await Executor.open(db, plan, {batchSize: 100});
		expect((await second.run()).outcome).toBe('complete');
		const {rows: wrong} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users WHERE display_name IS DISTINCT FROM initcap(username)');
		expect(wrong[0]!.count).toBe(0);
		// Exactly the lost range was filled again, and nothing else.
		const {rows: again} = await db.query<{rows: number; low: string; high: string}>('SELECT count(*)::int AS rows, min(id)::text AS low, max(id)::text AS high FROM backfill_log');
		expect(again[0]!.rows).toBe(lost.rows);
		expect(Number(again[0]!.low)).toBeGreaterThan(Number(lost.afterKey ?? 0));
		expect(Number(again[0]!.high)).toBeLessThanOrEqual(Number(lost.lastKey));
		const after = await loadBackfillBatches(db, plan.id, step.number);
		expect(after.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
	});

	it('leaves a value the new application wrote before the backfill reached its row', async () => {
		await fresh(300);
		const executor = await Executor.open(db, await compile(), {batchSize: 50});
		while (executor.next?.kind !== 'backfill') await executor.step();
		// v2 knows display_name and sets it, through its version schema; the backfill fills only what is still missing.
		const v2 = await db.session({schema: executor.plan.versionSchema});
		try {
			await v2.query("UPDATE users SET display_name = 'Chosen by v2' WHERE id IN (5, 250)");
		} finally {
			await v2.release();
		}

		expect((await executor.run()).outcome).toBe('complete');
		const {rows} = await db.query<{id: string; display_name: string}>('SELECT id::text, display_name FROM users WHERE id IN (5, 250, 6) ORDER BY users.id');
		expect(rows).toEqual([
			{id: '5', display_name: 'Chosen by v2'},
			{id: '6', display_name: 'User6'},
			{id: '250', display_name: 'Chosen by v2'},
		]);
	});

	it('walks the primary key: no batch scans the whole table', async () => {
		await fresh(20_000);
		await db.query('ALTER TABLE users ADD COLUMN display_name text');
		await db.query('ANALYZE users');
		await ensureStateSchema(db);
		const table = (await readCatalog(db)).table('users')!;
		const spec = backfillSpec(table, walkableKey(table)!, 'display_name', 'initcap(username)', true);
		for (const [sql, params] of [
			[spec.firstBound, [1000]],
			[spec.nextBound, ['5000', 1000]],
			[spec.firstBatch, ['1000', 'MIG-X', 2, 1, null, '1000', 1000]],
			[spec.nextBatch, ['5000', '6000', 'MIG-X', 2, 2, '5000', '6000', 1000]],
		] as const) {
			const {rows} = await db.query(`EXPLAIN ${sql}`, [...params]);
			const plan = rows.map(row => String(Object.values(row)[0])).join('\n');
			expect(plan).not.toMatch(/Seq Scan on users/);
			expect(plan).toMatch(/Index (Only )?Scan using users_pkey/);
		}
	});
});

describe('unrecordedRanges', () => {
	const batch = (seq: number, afterKey: string | null, lastKey: string) => ({seq, afterKey, lastKey, rows: 10});
	it('finds the ranges between recorded batches whose seq is missing, and nothing else', () => {
		expect(unrecordedRanges([])).toEqual([]);
		expect(unrecordedRanges([batch(1, null, '10'), batch(2, '10', '20')])).toEqual([]);
		// Batch 1 and batches 3-4 never committed; 5 did.
		expect(unrecordedRanges([batch(2, '10', '20'), batch(5, '40', '50')])).toEqual([
			{seq: 1, afterKey: null, lastKey: '10'},
			{seq: 3, afterKey: '20', lastKey: '40'},
		]);
		// A hole filled on a resume under its first seq leaves later seqs unused over no keys.
		expect(unrecordedRanges([batch(1, null, '10'), batch(2, '10', '40'), batch(5, '40', '50')])).toEqual([]);
	});
});
