import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ZdmError} from '../../source/core/errors.js';
import type {Step} from '../../source/core/plan.js';
import type {Database, Session} from '../../source/core/ports.js';
import {inTransaction, outsideTransaction, undo, type StepSql} from '../../source/core/step-sql.js';
import {backends, openBackend} from '../support/databases.js';

/**
 * How a step's SQL runs (step-sql.ts), straight on each backend: the session settings a concurrent
 * step runs under and gives back, the one long lock wait that fails it, and a script step's
 * search_path. Small and fast, for the mutation run (npm run mutate); the CLI suites cover the same
 * paths end to end.
 */
describe.each(backends())('a step\'s SQL (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	// Every session the code under test takes, and whether it gave it back.
	let taken: Array<{released: boolean}>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 20));
		await db.query('CREATE SCHEMA IF NOT EXISTS app');
	});
	afterAll(async () => close());

	const step = (kind: Step['kind'], forward: string[], rollback: string[] = []): Step => ({number: 3, status: 'running', phase: 'EXPANDING', operation: 0, kind, description: 'a test step', forward, rollback, why: ''});

	function sql(lock: {lockTimeoutMs: number; maxLockWaitMs: number}): StepSql {
		taken = [];
		// The real database; only session() is watched, to see each session given back.
		const watched: Database = Object.create(db) as Database;
		Object.defineProperty(watched, 'session', {
			value: async () => {
				const session: Session = await db.session();
				const mark = {released: false};
				taken.push(mark);
				return {
					query: session.query.bind(session),
					script: session.script.bind(session),
					async release() {
						mark.released = true;
						await session.release();
					},
				} satisfies Session;
			},
		});
		return {db: watched, schema: 'app', lock, onLockWait: async () => {}};
	}

	const setting = async (name: string) => (await db.query<{value: string}>('SELECT current_setting($1) AS value', [name])).rows[0]!.value;

	it('a concurrent step runs under one long lock_timeout (the larger of the two) with its schema alone on the search_path, then gives the session back as it found it', async () => {
		await db.query('DROP TABLE IF EXISTS app.seen, public.seen');
		const pathBefore = await setting('search_path');
		const run = sql({lockTimeoutMs: 150, maxLockWaitMs: 4321});
		const statements = ["CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('search_path') AS path"];
		await outsideTransaction(run, step('concurrent', statements), statements);
		expect((await db.query('SELECT lock_timeout, path FROM app.seen')).rows).toEqual([{lock_timeout: '4321ms', path: '"app"'}]);
		expect(taken).toEqual([{released: true}]);
		// PGlite's "session" is its one connection: the search_path must be the caller's again.
		if (backend === 'pglite') expect(await setting('search_path')).toBe(pathBefore);
		await db.query('DROP TABLE app.seen');
		// The larger one wins either way round.
		const again = ["CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout"];
		await outsideTransaction(sql({lockTimeoutMs: 2345, maxLockWaitMs: 1000}), step('concurrent', again), again);
		expect((await db.query('SELECT lock_timeout FROM app.seen')).rows).toEqual([{lock_timeout: '2345ms'}]);
		await db.query('DROP TABLE app.seen');
	});

	it('a concurrent step that fails for another reason fails with its own error, and still gives the session back', async () => {
		const run = sql({lockTimeoutMs: 100, maxLockWaitMs: 200});
		const failed = await outsideTransaction(run, step('concurrent', []), ['CREATE INDEX CONCURRENTLY nowhere_idx ON no_such_table (id)']).catch((error: unknown) => error);
		expect(failed).not.toBeInstanceOf(ZdmError);
		expect(String(failed)).toMatch(/"no_such_table" does not exist/);
		expect(taken).toEqual([{released: true}]);
		if (backend === 'pglite') expect(await setting('search_path')).not.toMatch(/app/);
	});

	it.skipIf(backend !== 'server')('a concurrent build behind an older transaction waits once, up to the longer wait, then fails naming the step and the fix; nothing is left', async () => {
		const holder = await db.session();
		try {
			await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
			await holder.query('SELECT count(*) FROM pg_class');
			const run = sql({lockTimeoutMs: 50, maxLockWaitMs: 300});
			const failed = await outsideTransaction(run, step('concurrent', []), ['CREATE INDEX CONCURRENTLY users_held_idx ON public.users (id)']).catch((error: unknown) => error);
			expect(failed).toBeInstanceOf(ZdmError);
			expect((failed as ZdmError).code).toBe('lock-timeout');
			expect((failed as ZdmError).oneLine()).toBe('step 3 waited 0.3 s for older transactions to end (a concurrent index build waits for every one) — end the long transactions, or raise --max-lock-wait');
			expect(taken).toEqual([{released: true}]);
		} finally {
			await holder.query('ROLLBACK');
			await holder.release();
		}

		// The INVALID leftover is the step's rollback's to drop, concurrently as it was built.
		await undo(sql({lockTimeoutMs: 50, maxLockWaitMs: 1000}), step('concurrent', [], ['DROP INDEX CONCURRENTLY IF EXISTS public.users_held_idx']));
		expect((await db.query("SELECT 1 FROM pg_class WHERE relname = 'users_held_idx'")).rows).toEqual([]);
	});

	it('a script step runs its statements in one transaction with its schema on the search_path, under the short lock_timeout; a failure after them keeps nothing', async () => {
		await db.query('DROP TABLE IF EXISTS app.noted, public.noted');
		const run = sql({lockTimeoutMs: 234, maxLockWaitMs: 60_000});
		const script = step('script', ["CREATE TABLE noted AS SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('search_path') AS path; INSERT INTO noted VALUES ('2', 'second')"]);
		await expect(inTransaction(run, script, script.forward, true, async () => {
			throw new Error('the mark failed');
		})).rejects.toThrow('the mark failed');
		expect((await db.query("SELECT 1 FROM pg_class WHERE relname = 'noted'")).rows).toEqual([]);
		await inTransaction(run, script, script.forward, true, async () => {});
		expect((await db.query('SELECT lock_timeout, path FROM app.noted ORDER BY 1')).rows).toEqual([
			{lock_timeout: '2', path: 'second'},
			{lock_timeout: '234ms', path: '"app"'},
		]);
		// Its rollback runs the same way: as a script, in the step's schema.
		await undo(run, step('script', [], ['DROP TABLE noted; CREATE TABLE undone (id int)']));
		expect((await db.query("SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname IN ('noted', 'undone')")).rows).toEqual([{schema: 'app', name: 'undone'}]);
		await db.query('DROP TABLE app.undone');
		expect(taken).toEqual([]);
	});

	it.skipIf(backend !== 'server')('a step behind a lock held by another transaction reports each wait to the executor, then gives up with nothing done', async () => {
		const holder = await db.session();
		const waits: Array<{number: number; attempt: number}> = [];
		try {
			await holder.query('BEGIN');
			await holder.query('LOCK TABLE public.users IN ACCESS SHARE MODE');
			const run = {...sql({lockTimeoutMs: 30, maxLockWaitMs: 200}), onLockWait: async (waiting: Step, attempt: number) => {
				waits.push({number: waiting.number, attempt});
			}};
			const ddl = step('ddl', ['ALTER TABLE public.users ADD COLUMN held text']);
			await expect(inTransaction(run, ddl, ddl.forward, false, async () => {})).rejects.toThrow(/could not get the lock after \d+ attempts/);
		} finally {
			await holder.query('ROLLBACK');
			await holder.release();
		}

		expect(waits.length).toBeGreaterThan(0);
		expect(waits.map(wait => wait.attempt)).toEqual(waits.map((_wait, index) => index + 1));
		expect(waits.every(wait => wait.number === 3)).toBe(true);
		expect((await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'held'")).rows).toEqual([]);
	});
});
