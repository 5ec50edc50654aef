import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {backfillSpec, walkableKey} from '../../source/core/backfill-sql.js';
import {maxBatch, minBatch, rowsToFill, towardTarget, unrecordedRanges} from '../../source/core/backfill.js';
import {compilePlan} from '../../source/core/compile.js';
import {ZdmError} from '../../source/core/errors.js';
import type {ExecutorEvent} from '../../source/core/events.js';
import {Executor} from '../../source/core/executor.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import type {Plan} from '../../source/core/plan.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {loadBackfillBatches} from '../../source/db/state.js';
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

	const page = (shown: string | null) => Number(shown!.replace('page ', ''));

	/** Recorded ranges of pages, each page of the table in exactly one, none past its end. */
	async function expectEachPageInOneBatch(id: string, step: number, inFiles?: string | null) {
		const recorded = (await loadBackfillBatches(db, id, step)).filter(batch => inFiles === undefined || batch.pagesOf === inFiles);
		const ranges = recorded.map(batch => [Number(batch.afterKey), Number(batch.lastKey)] as const).toSorted((a, b) => a[0] - b[0]);
		for (const [index, [from, to]] of ranges.entries()) {
			expect(from, 'each range starts where the one before ended').toBe(index === 0 ? 0 : ranges[index - 1]![1]);
			expect(to).toBeGreaterThan(from);
		}

		return {recorded, end: ranges.at(-1)![1]};
	}

	it('fills every row exactly once, each batch a range of pages after the one before', async () => {
		const total = await fresh(1000);
		const {rows: size} = await db.query<{pages: number}>("SELECT (pg_relation_size('users') / current_setting('block_size')::int)::int AS pages");
		const executor = await Executor.open(db, await compile(), {batchSize: 97});
		const batches: Array<{from: number; to: number; done: number}> = [];
		executor.on(event => {
			// The verify step reads ranges of pages too; only the backfill's are counted here.
			if (event.type === 'batch' && event.step.kind === 'backfill') batches.push({from: page(event.fromKey), to: page(event.toKey), done: event.rowsDone});
		});
		expect((await executor.run()).outcome).toBe('complete');
		await expectEveryRowFilledOnce(total);
		// Consecutive ranges: each batch starts at the page after another ended, and the count adds up.
		const ranges = batches.toSorted((a, b) => a.from - b.from);
		expect(ranges.length).toBeGreaterThan(3);
		for (const [index, batch] of ranges.entries()) expect(batch.from).toBe(index === 0 ? 0 : ranges[index - 1]!.to + 1);
		expect(batches.at(-1)!.done).toBe(total);
		const step = executor.plan.steps.find(candidate => candidate.kind === 'backfill')!.number;
		const {recorded, end} = await expectEachPageInOneBatch(executor.plan.id, step);
		// Up to the table's size when the backfill began: rows moved past it were written by the backfill itself.
		expect(end).toBe(size[0]!.pages);
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

	const hashRows = async () => (await db.query<{hash: string}>("SELECT md5(string_agg(id || ':' || username || ':' || coalesce(email, '-'), ',' ORDER BY id)) AS hash FROM users")).rows[0]!.hash;

	/** Run the plan until the nth backfill batch event, stop it there, and return what it saved. */
	async function stoppedAfter(plan: Plan, batches: number) {
		const controller = new AbortController();
		const first = await Executor.open(db, plan, {batchSize: 50, signal: controller.signal});
		let seen = 0;
		first.on(event => {
			if (event.type === 'batch' && ++seen === batches) controller.abort();
		});
		await expect(first.run()).rejects.toThrow(ZdmError);
		const step = first.plan.steps.find(candidate => candidate.kind === 'backfill')!;
		return {step, saved: await loadBackfillBatches(db, plan.id, step.number)};
	}

	// Both backfills fill only rows still empty: add_column's new column, the type change's shadow.
	it.each([
		[sample, "display_name IS DISTINCT FROM initcap(username)"],
		['samples/change-email-type.json', 'false'],
	])('%s: resumes after an interruption from the saved cursor, doing no row twice', async (planFile, wrongRows) => {
		const total = await fresh(1000);
		const before = await hashRows();
		const plan = compilePlan(readPlanFile(planFile), await readCatalog(db)).plan;
		const {step, saved} = await stoppedAfter(plan, 4);
		const savedRows = saved.reduce((sum, batch) => sum + batch.rows, 0);
		// The fourth batch stopped it; on a server the other session's batch in flight commits too.
		expect(saved.length).toBeGreaterThanOrEqual(4);
		expect(saved.length).toBeLessThanOrEqual(backend === 'server' ? 5 : 4);
		expect(savedRows).toBeGreaterThan(0);
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
		// WHY the records as well as the write log? The backfill fills only rows still empty: a
		// batch done again writes no row, so only its record shows it.
		const {recorded} = await expectEachPageInOneBatch(plan.id, step.number);
		expect(recorded.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
		// The resumed run starts past the saved batches, never at the first page again.
		expect(resumedFrom).not.toContain('page 0');
		const {rows: wrong} = await db.query<{count: number}>(`SELECT count(*)::int AS count FROM users WHERE ${wrongRows}`);
		expect(wrong[0]!.count).toBe(0);
		expect(await hashRows()).toBe(before);
	});

	// The third batch lost, or the first.
	it.each([2, 0])('resumes a run stopped with a batch in flight behind committed ones (batch index %i lost): only the unrecorded range is done', async lostIndex => {
		const total = await fresh(1000);
		// Room on every page (90 % free): each row's new versions, the backfill's and the one that
		// empties it again, stay on its page (HOT) even before any pruning, so the rows of a range of
		// pages can be put back as they were before a batch that never committed.
		await db.query('ALTER TABLE users SET (fillfactor = 10)');
		await db.query('VACUUM FULL users');
		await db.query('ANALYZE users');
		const pageOf = new Map((await db.query<{id: string; page: number}>('SELECT id::text, (ctid::text::point)[0]::int AS page FROM users')).rows.map(row => [row.id, row.page]));
		const plan = await compile();
		const first = await Executor.open(db, plan, {batchSize: 100});
		const step = first.plan.steps.find(candidate => candidate.kind === 'backfill')!;
		while (first.plan.steps[step.number - 1]!.status !== 'executed') await first.step();
		// Make it as if batch 3 never committed while 4 and later did, and the run stopped in the backfill.
		const recorded = await loadBackfillBatches(db, plan.id, step.number);
		expect(recorded.length).toBeGreaterThan(3);
		const lost = recorded[lostIndex]!;
		const [from, to] = [Number(lost.afterKey), Number(lost.lastKey)];
		const lostRows = [...pageOf].filter(([, page]) => page >= from && page < to).map(([id]) => id);
		expect(lostRows).toHaveLength(lost.rows);
		await db.query('DELETE FROM zdm.backfill_batch WHERE migration_id = $1 AND step = $2 AND seq = $3', [plan.id, step.number, lost.seq]);
		// As the backfill writes, so the old version's sync trigger does not fill the range again.
		await db.transaction(async tx => {
			await tx.query("SELECT set_config('zdm.backfill', 'on', true)");
			await tx.query('UPDATE users SET display_name = NULL WHERE id = ANY($1::bigint[])', [lostRows]);
		});
		const {rows: stayed} = await db.query<{moved: number}>('SELECT count(*)::int AS moved FROM users WHERE id = ANY($1::bigint[]) AND NOT ((ctid::text::point)[0] >= $2 AND (ctid::text::point)[0] < $3)', [lostRows, from, to]);
		expect(stayed[0]!.moved, 'rows moved off their pages').toBe(0);
		await db.query("UPDATE zdm.steps SET status = 'running' WHERE migration_id = $1 AND number = $2", [plan.id, step.number]);
		await db.query('DELETE FROM backfill_log');

		const second = await Executor.open(db, plan, {batchSize: 100});
		expect((await second.run()).outcome).toBe('complete');
		const {rows: wrong} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users WHERE display_name IS DISTINCT FROM initcap(username)');
		expect(wrong[0]!.count).toBe(0);
		// Exactly the lost range was filled again, and nothing else.
		const {rows: again} = await db.query<{id: string}>('SELECT id::text AS id FROM backfill_log');
		const numerically = (ids: string[]) => ids.toSorted((a, b) => Number(a) - Number(b));
		expect(numerically(again.map(row => row.id))).toEqual(numerically(lostRows));
		const after = await expectEachPageInOneBatch(plan.id, step.number);
		expect(after.recorded.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
	});

	it('starts the pages over when the table was rewritten between a stopped run and its resume, doing no row twice', async () => {
		const total = await fresh(1000);
		const plan = await compile();
		const {step, saved} = await stoppedAfter(plan, 3);
		// The filled rows' new versions were appended at the end: the rewrite packs them to the front,
		// onto pages the saved batches say nothing about any more.
		await db.query('VACUUM FULL users');

		const second = await Executor.open(db, plan, {batchSize: 50});
		expect((await second.run()).outcome).toBe('complete');
		await expectEveryRowFilledOnce(total);
		const recorded = await loadBackfillBatches(db, plan.id, step.number);
		const files = new Set(recorded.map(batch => batch.pagesOf));
		expect(files.size, 'batches before and after the rewrite').toBe(2);
		// After the rewrite, the pages start over from the first.
		expect(recorded.slice(saved.length).map(batch => batch.afterKey)[0]).toBe('0');
		expect(recorded.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
	});

	it('starts the pages over when the table is rewritten while it runs, doing no row twice', async () => {
		const total = await fresh(1000);
		const executor = await Executor.open(db, await compile(), {batchSize: 50});
		let batches = 0;
		// Between two batches (the dashboard's pause gate runs there), as a VACUUM FULL by someone else would.
		executor.control.gate = async () => {
			if (++batches === 4) await db.query('VACUUM FULL users');
		};
		expect((await executor.run()).outcome).toBe('complete');
		await expectEveryRowFilledOnce(total);
		const step = executor.plan.steps.find(candidate => candidate.kind === 'backfill')!;
		const recorded = await loadBackfillBatches(db, executor.plan.id, step.number);
		expect(new Set(recorded.map(batch => batch.pagesOf)).size, 'batches before and after the rewrite').toBe(2);
		expect(recorded.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
		// Started over once: in the files after the rewrite, every page from the first in exactly one batch.
		await expectEachPageInOneBatch(executor.plan.id, step.number, recorded.at(-1)!.pagesOf);
	});

	it('starts the pages over again at a second rewrite in the same run', async () => {
		const total = await fresh(1000);
		// One session, so the rewrites come between the same batches every time.
		const executor = await Executor.open(db, await compile(), {batchSize: 50, backfillWorkers: 1});
		let batches = 0;
		executor.control.gate = async () => {
			if (++batches === 4 || batches === 10) await db.query('VACUUM FULL users');
		};
		expect((await executor.run()).outcome).toBe('complete');
		await expectEveryRowFilledOnce(total);
		const step = executor.plan.steps.find(candidate => candidate.kind === 'backfill')!;
		const recorded = await loadBackfillBatches(db, executor.plan.id, step.number);
		expect(new Set(recorded.map(batch => batch.pagesOf)).size, 'batches in the files before, between and after the rewrites').toBe(3);
		await expectEachPageInOneBatch(executor.plan.id, step.number, recorded.at(-1)!.pagesOf);
	});

	it('refuses to resume a backfill an earlier zdm-tui planned as a key walk, and rolls back', async () => {
		await fresh(300);
		const plan = await compile();
		const first = await Executor.open(db, plan, {batchSize: 50});
		const step = first.plan.steps.find(candidate => candidate.kind === 'backfill')!;
		while (first.next?.number !== step.number) await first.step();
		// As stored by a version whose backfill had key statements and no page batch.
		await db.query("UPDATE zdm.steps SET spec = spec #- '{backfill,pageBatch}' WHERE migration_id = $1 AND number = $2", [plan.id, step.number]);
		const resumed = await Executor.resume(db, plan.id, {batchSize: 50});
		const outcome = await resumed.run();
		expect(outcome).toMatchObject({outcome: 'rolled-back', step: {number: step.number}});
		expect(outcome.outcome === 'rolled-back' && outcome.error).toMatch(/^the backfill of step \d+ was planned by an earlier zdm-tui, which walked the key; this one fills ranges of pages — run rollback, then start the migration again with this version$/);
		const {rows} = await db.query<{n: number}>("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'display_name'");
		expect(rows[0]!.n).toBe(0);
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

	it('a batch reads only its own pages: a TID range scan, never the whole table or an index', async () => {
		await fresh(20_000);
		await db.query('ALTER TABLE users ADD COLUMN display_name text');
		await db.query('ANALYZE users');
		const table = (await readCatalog(db)).table('users')!;
		const spec = backfillSpec(table, walkableKey(table)!, 'display_name', 'initcap(username)');
		const {files} = (await db.query<{pages: number; files: string}>(spec.pages, [spec.relation])).rows[0]!;
		const params = ['(10,0)', '(20,0)', spec.relation, files];
		const {rows} = await db.query(`EXPLAIN (COSTS OFF) ${spec.pageBatch}`, params);
		const shown = rows.map(row => String(Object.values(row)[0])).join('\n');
		expect(shown).toMatch(/Tid Range Scan on users/);
		expect(shown).not.toMatch(/Seq Scan on users|Index (Only )?Scan/);
		const held = (await db.query<{n: number}>('SELECT count(*)::int AS n FROM users WHERE (ctid::text::point)[0] BETWEEN 10 AND 19')).rows[0]!.n;
		const {rowCount} = await db.query(spec.pageBatch, params);
		// Exactly the rows of pages 10 to 19 were filled (their new versions may sit anywhere).
		expect(rowCount).toBe(held);
		expect(held).toBeGreaterThan(0);
		const {rows: filled} = await db.query<{n: number}>('SELECT count(*)::int AS n FROM users WHERE display_name IS NOT NULL');
		expect(filled[0]!.n).toBe(held);
	});

	it('fills nothing when the table\'s files are not those the range was read in', async () => {
		const total = await fresh(2000);
		await db.query('ALTER TABLE users ADD COLUMN display_name text');
		const table = (await readCatalog(db)).table('users')!;
		const spec = backfillSpec(table, walkableKey(table)!, 'display_name', 'initcap(username)');
		const {pages, files} = (await db.query<{pages: number; files: string}>(spec.pages, [spec.relation])).rows[0]!;
		await db.query('VACUUM FULL users');
		expect((await db.query(spec.pageBatch, ['(0,0)', `(${pages},0)`, spec.relation, files])).rowCount).toBe(0);
		const {rows: filled} = await db.query<{n: number}>('SELECT count(*)::int AS n FROM users WHERE display_name IS NOT NULL');
		expect(filled[0]!.n).toBe(0);
		// In the files it is in now, the same statement fills every row.
		const now = (await db.query<{pages: number; files: string}>(spec.pages, [spec.relation])).rows[0]!;
		expect(now.files).not.toBe(files);
		expect((await db.query(spec.pageBatch, ['(0,0)', `(${now.pages},0)`, spec.relation, now.files])).rowCount).toBe(total);
	});

	type BatchEvent = Extract<ExecutorEvent, {type: 'batch'}>;

	it('batch events on a resume: a total near the table\'s rows that ends at them, a rate and an ETA the clock agrees with, no ETA before a row is filled', async () => {
		const total = await fresh(2000);
		const plan = await compile();
		const {saved} = await stoppedAfter(plan, 10);
		const doneAtStart = saved.reduce((sum, batch) => sum + batch.rows, 0);
		// The new application fills the rows of the next pages itself: the resumed run's first batches fill none.
		const end = Math.max(...saved.map(batch => Number(batch.lastKey)));
		const v2 = await db.session({schema: plan.versionSchema});
		let chosen: number;
		try {
			chosen = (await v2.query("UPDATE users SET display_name = initcap(username) WHERE id IN (SELECT id FROM public.users WHERE (ctid::text::point)[0] >= $1 AND (ctid::text::point)[0] < $2)", [end, end + 3])).rowCount ?? 0;
		} finally {
			await v2.release();
		}

		expect(chosen).toBeGreaterThan(0);
		const second = await Executor.open(db, plan, {batchSize: 50});
		const batches: Array<BatchEvent & {seenAt: number}> = [];
		const gates: number[] = [];
		const warnings: ExecutorEvent[] = [];
		let inBackfill = false;
		second.on(event => {
			if (event.type === 'step-started' || event.type === 'step-executed') inBackfill = event.type === 'step-started' && event.step.kind === 'backfill';
			if (event.type === 'batch' && event.step.kind === 'backfill') batches.push({...event, seenAt: performance.now()});
			if (event.type === 'replicas-unthrottled') warnings.push(event);
		});
		// The backfill's gate runs before each batch, after the backfill's clock started.
		second.control.gate = async () => {
			if (inBackfill) gates.push(performance.now());
		};
		const runFrom = performance.now();
		expect((await second.run()).outcome).toBe('complete');
		const {rows: wrong} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users WHERE display_name IS DISTINCT FROM initcap(username)');
		expect(wrong[0]!.count).toBe(0);
		expect(batches[0]!.rowsDone).toBe(doneAtStart);
		// Rows per page from the table at the start: the first total is near the table's rows; the last is every row the backfill filled.
		expect(batches[0]!.rowsTotal).toBeGreaterThan(total * 0.75);
		expect(batches[0]!.rowsTotal).toBeLessThan(total * 1.5);
		expect(batches.at(-1)).toMatchObject({rowsDone: total - chosen, rowsTotal: total - chosen});
		const slack = 1 + 1e-9;
		for (const [index, batch] of batches.entries()) {
			expect(batch.rowsTotal).toBeGreaterThanOrEqual(batch.rowsDone);
			expect(batch.batchMs).toBeGreaterThanOrEqual(0);
			expect(batch.batchMs).toBeLessThanOrEqual(batch.seenAt - runFrom);
			const doneNow = batch.rowsDone - doneAtStart;
			expect(Number.isFinite(batch.etaMs)).toBe(true);
			if (doneNow === 0) {
				// Nothing filled in this run yet: no rate, so no ETA rather than an infinite one.
				expect(batch).toMatchObject({rowsPerSecond: 0, etaMs: 0});
				continue;
			}

			// This run's rows over its own time: at most the time the test saw since before run(), at
			// least the time from the backfill's first gate to the batch event before this one.
			const atLeast = doneNow / ((batch.seenAt - runFrom) / 1000);
			expect(batch.rowsPerSecond * slack).toBeGreaterThanOrEqual(atLeast);
			const remaining = batch.rowsTotal - batch.rowsDone;
			expect(batch.etaMs).toBeLessThanOrEqual(((remaining / atLeast) * 1000 * slack) + 1e-9);
			if (index > 0 && batches[index - 1]!.seenAt > gates[0]!) {
				const atMost = doneNow / ((batches[index - 1]!.seenAt - gates[0]!) / 1000);
				expect(batch.rowsPerSecond).toBeLessThanOrEqual(atMost * slack);
				expect(batch.etaMs * slack).toBeGreaterThanOrEqual((remaining / atMost) * 1000);
			}
		}

		expect(batches.filter(batch => batch.rowsDone > doneAtStart).length).toBeGreaterThan(3);
		// No replica streams from this database: nothing to warn about.
		expect(warnings).toEqual([]);
	});

	/** Run the plan with the batch size adapting from `from` toward `targetBatchMs`; the backfill's batch sizes, in order. */
	async function adaptedSizes(from: number, targetBatchMs: number) {
		const executor = await Executor.open(db, await compile(), {targetBatchMs, backfillWorkers: 1});
		expect(executor.control.fixed).toBe(false);
		executor.control.batchSize = from;
		const sizes: number[] = [];
		executor.on(event => {
			if (event.type === 'batch' && event.step.kind === 'backfill') sizes.push(event.batchSize);
		});
		expect((await executor.run()).outcome).toBe('complete');
		return sizes;
	}

	it('sizes its batches toward the target time: doubling under a target no batch reaches, halving down to the least under one every batch passes', async () => {
		await fresh(4000);
		const growing = await adaptedSizes(minBatch, 600_000);
		expect(growing.length).toBeGreaterThan(3);
		expect(growing).toEqual(growing.map((_, index) => Math.min(maxBatch, minBatch * 2 ** index)));
		await fresh(4000);
		const shrinking = await adaptedSizes(800, 0.001);
		expect(shrinking.slice(0, 6)).toEqual([800, 400, 200, 100, 100, 100]);
		expect(Math.min(...shrinking)).toBe(minBatch);
	});

	it('a batch whose record fails leaves its rows unfilled, and the other sessions stop after their batch in flight', async () => {
		await fresh(2000);
		const executor = await Executor.open(db, await compile(), {batchSize: 50, backfillWorkers: 2});
		while (executor.next?.kind !== 'backfill') await executor.step();
		// The fourth batch's record is refused, as a full disk would refuse it (ALWAYS: the backfill runs as a replica).
		await db.script(`CREATE FUNCTION refuse_batch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.seq = 4 THEN RAISE EXCEPTION 'no room for batch 4'; END IF; RETURN NEW; END $$;
			CREATE TRIGGER refuse_batch BEFORE INSERT ON zdm.backfill_batch FOR EACH ROW EXECUTE FUNCTION refuse_batch();
			ALTER TABLE zdm.backfill_batch ENABLE ALWAYS TRIGGER refuse_batch;`);
		const batches: BatchEvent[] = [];
		executor.on(event => {
			if (event.type === 'batch' && event.step.kind === 'backfill') batches.push(event);
		});
		try {
			const outcome = await executor.run();
			expect(outcome.outcome).toBe('rolled-back');
			expect(outcome.outcome === 'rolled-back' && outcome.error).toMatch(/no room for batch 4/);
		} finally {
			await db.query('DROP FUNCTION refuse_batch() CASCADE');
		}

		// The committed batches (each one an event) and nothing else: batch 4's rows went with its record.
		const {rows: log} = await db.query<{rows: number}>('SELECT count(*)::int AS rows FROM backfill_log');
		expect(log[0]!.rows).toBe(batches.at(-1)!.rowsDone);
		expect(batches.length).toBeGreaterThanOrEqual(3);
		// Batches 1 to 3, and on a server the other session's batch in flight.
		expect(batches.length).toBeLessThanOrEqual(backend === 'server' ? 4 : 3);
	});

	it.skipIf(backend !== 'server')('a batch behind a row another transaction holds waits for it, then goes on once it is let go', async () => {
		const total = await fresh(1000);
		const executor = await Executor.open(db, await compile(), {batchSize: 50, backfillWorkers: 1, lock: {lockTimeoutMs: 30, maxLockWaitMs: 30_000}});
		while (executor.next?.kind !== 'backfill') await executor.step();
		const holder = await db.session();
		let waits = 0;
		executor.on(event => {
			if (event.type === 'lock-wait' && event.step.kind === 'backfill' && ++waits === 1) void holder.query('COMMIT');
		});
		try {
			await holder.query('BEGIN');
			await holder.query('SELECT id FROM users WHERE id = 500 FOR UPDATE');
			expect((await executor.run()).outcome).toBe('complete');
		} finally {
			await holder.query('ROLLBACK').catch(() => {});
			await holder.release();
		}

		expect(waits).toBeGreaterThan(0);
		await expectEveryRowFilledOnce(total);
	});

	// Only sessions of their own can find the rewrite one after another; PGlite has one connection.
	it.skipIf(backend !== 'server')('a session that finds the rewrite after another has started the pages over goes on in the new files, handing out no page twice', async () => {
		const total = await fresh(2000);
		const executor = await Executor.open(db, await compile(), {batchSize: 50, backfillWorkers: 2, lock: {lockTimeoutMs: 20_000, maxLockWaitMs: 60_000}});
		while (executor.next?.kind !== 'backfill') await executor.step();
		// Holds the first backfill UPDATE after it is armed, on an advisory lock the test holds.
		await db.script(`CREATE TABLE hold_armed (armed boolean); CREATE SEQUENCE held_batches;
			CREATE FUNCTION hold_batch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
				IF current_setting('zdm.backfill', true) = 'on' THEN
					IF EXISTS (SELECT FROM hold_armed) THEN
						IF nextval('held_batches') = 1 THEN PERFORM pg_advisory_xact_lock(7401); END IF;
					END IF;
				END IF;
				RETURN NULL;
			END $$;
			CREATE TRIGGER hold_batch BEFORE UPDATE ON users FOR EACH STATEMENT EXECUTE FUNCTION hold_batch();
			ALTER TABLE users ENABLE ALWAYS TRIGGER hold_batch;`);
		const holder = await db.session();
		let rewritten = false;
		let letGoX!: () => void;
		const xWaits = new Promise<void>(resolve => (letGoX = resolve));
		let gates = 0;
		let heldY: Promise<void> | undefined;
		executor.control.gate = async () => {
			const call = ++gates;
			// One session (X) waits here between batches; the other (Y) is the only one that can come next.
			if (call === 6) await xWaits;
			if (call !== 7) return;
			// Both sessions between batches: the table is rewritten; Y's next batch, read in the old
			// files, waits inside its UPDATE; then X goes on, finds the rewrite and starts over.
			await db.query('VACUUM FULL users');
			rewritten = true;
			await holder.query('SELECT pg_advisory_lock(7401)');
			await db.query('INSERT INTO hold_armed VALUES (true)');
			heldY = (async () => {
				while ((await db.query<{n: number}>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rows[0]!.n === 0) {
					await new Promise(resolve => setTimeout(resolve, 10));
				}

				letGoX();

			})();
		};
		executor.on(event => {
			// X's first batch in the new files: its start-over is done. Now Y finds the rewrite too.
			if (rewritten && event.type === 'batch' && event.step.kind === 'backfill' && event.fromKey === 'page 0') void holder.query('SELECT pg_advisory_unlock(7401)');
		});
		try {
			expect((await executor.run()).outcome).toBe('complete');
		} finally {
			await holder.query('SELECT pg_advisory_unlock_all()').catch(() => {});
			await holder.release();
			await db.script('DROP TABLE hold_armed; DROP SEQUENCE held_batches; DROP FUNCTION hold_batch() CASCADE;');
		}

		// Y did wait inside its UPDATE while X started over.
		expect(heldY).toBeDefined();
		await heldY;
		await expectEveryRowFilledOnce(total);
		const step = executor.plan.steps.find(candidate => candidate.kind === 'backfill')!;
		const recorded = await loadBackfillBatches(db, executor.plan.id, step.number);
		expect(new Set(recorded.map(batch => batch.pagesOf)).size, 'batches before and after the rewrite').toBe(2);
		// Started over once: in the new files, every page from the first in exactly one batch.
		await expectEachPageInOneBatch(executor.plan.id, step.number, recorded.at(-1)!.pagesOf);
	});

	it('counts a small table, and takes a large one\'s rows from the planner\'s statistics without reading it', async () => {
		await db.query('DROP TABLE IF EXISTS big_table, small_table');
		await db.query('CREATE TABLE small_table (id int)');
		await db.query('INSERT INTO small_table SELECT g FROM generate_series(1, 1000) g');
		// Never analysed: counted.
		expect(await rowsToFill(db, 'public', 'small_table')).toBe(1000);
		// Analysed, then half deleted: the statistics still say 1000, under the threshold, so it is counted.
		await db.query('VACUUM ANALYZE small_table');
		await db.query('DELETE FROM small_table WHERE id % 2 = 0');
		expect(await rowsToFill(db, 'public', 'small_table')).toBe(500);
		// No autovacuum may bring the statistics up to date while the test looks.
		await db.query('CREATE TABLE big_table (id int) WITH (autovacuum_enabled = off)');
		await db.query('INSERT INTO big_table SELECT g FROM generate_series(1, 120000) g');
		await db.query('VACUUM ANALYZE big_table');
		await db.query('DELETE FROM big_table WHERE id % 2 = 0');
		// The statistics' 120,000 rows over the pages now (the same pages), not the 60,000 a count would find.
		const estimate = await rowsToFill(db, 'public', 'big_table');
		expect(Number.isInteger(estimate)).toBe(true);
		expect(estimate).toBeGreaterThan(110_000);
		expect(estimate).toBeLessThan(130_000);
		await db.query('DROP TABLE big_table, small_table');
	});
});

describe('unrecordedRanges', () => {
	const batch = (from: number, to: number) => ({afterKey: String(from), lastKey: String(to)});
	it('finds the pages between recorded batches, and nothing else', () => {
		expect(unrecordedRanges([])).toEqual([]);
		expect(unrecordedRanges([batch(0, 10), batch(10, 20)])).toEqual([]);
		// The first batch and two in the middle never committed.
		expect(unrecordedRanges([batch(10, 20), batch(40, 50)])).toEqual([
			{from: 0, to: 10},
			{from: 20, to: 40},
		]);
		// A hole filled on a resume is recorded under a later seq, after the batches around it: no hole is left.
		expect(unrecordedRanges([batch(0, 10), batch(40, 50), batch(10, 40)])).toEqual([]);
		expect(unrecordedRanges([batch(0, 10), batch(40, 50), batch(20, 40)])).toEqual([{from: 10, to: 20}]);
	});
});

describe('towardTarget', () => {
	it('steps the batch size by the target over the batch time, at most doubling or halving, a batch under 1 ms counting as 1 ms', () => {
		expect(towardTarget(30, 20)).toBe(1.5);
		expect(towardTarget(30, 45)).toBeCloseTo(2 / 3, 12);
		expect(towardTarget(30, 10)).toBe(2);
		expect(towardTarget(30, 300)).toBe(0.5);
		expect(towardTarget(1.5, 0.25)).toBe(1.5);
		expect(towardTarget(0.75, 0)).toBe(0.75);
	});
});
