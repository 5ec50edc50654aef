import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {leftovers} from '../../source/db/catalog.js';
import type {Queryable} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {createServerDatabase, serverUrl} from '../support/databases.js';
import {pgDumpDatabase} from '../support/pg-dump.js';
import {resetMigrationsSql} from '../support/reset.js';
import {keyKindRowsHash, keyKindSetup, keyKinds, keyKindWritten, keysPlan} from '../support/key-kinds.js';
import {writePlan} from '../support/refusal.js';
import {columnsOf, compiledSteps, connect, hasPgDump, isEvent, kill9, killStragglers, migrationPhase, rowsHash, runToEnd, seed, sleep, startCli, stepNumber, type CliProcess, useServerDatabase, zdmGone} from './support.js';

/**
 * kill -9 at many moments of samples/change-email-type.json (6 steps: add the shadow column, the
 * sync trigger, the version schema, backfill, verify, contract), then the same command again: it must
 * resume and end COMPLETE with every row exactly as the application left it, and nothing of
 * zdm's left behind. Between the kill and the resume the old application writes email, as a real
 * one would (its values are lower case already, so `up`'s lower() leaves them as the model has them).
 */

const rows = 20_000;
const plan = 'samples/change-email-type.json';

afterAll(killStragglers);

describe.skipIf(!serverUrl())('kill -9 at any moment, then the same command again', () => {
	let url: string;
	let drop: () => Promise<void>;
	let app: pg.Client;
	let nextId = rows + 1000;
	/** Step numbers as the plan compiles (steps 1 to 3 expand; then the backfill, its verify, the contract). */
	let backfill: number;
	let verify: number;
	let contract: number;

	beforeAll(async () => {
		({url, drop} = await createServerDatabase());
		app = await connect(url);
		await seed(app, 10);
		const steps = await compiledSteps(app, plan);
		[backfill, verify, contract] = [stepNumber(steps, 'backfill'), stepNumber(steps, 'verify'), stepNumber(steps, 'contract')];
		expect(steps.slice(0, backfill - 1).map(step => step.phase)).toEqual(['EXPANDING', 'EXPANDING', 'EXPANDING']);
	});

	afterAll(async () => {
		await app?.end();
		await drop?.();
	});

	const args = (...extra: string[]) => ['run', plan, '--yes', '--json', '--batch-size', '50', '--lock-timeout', '100', '--database-url', url, ...extra];
	const start = (...extra: string[]) => startCli(args(...extra));

	/** The model of what the table must hold: the same writes, applied to a plain copy. */
	async function reset() {
		await seed(app, rows);
		await app.query('DROP SCHEMA IF EXISTS expect CASCADE; CREATE SCHEMA expect; CREATE TABLE expect.users AS SELECT id, username, email FROM users');
	}

	/** What the old (or, after contract, the new) application does while zdm is down. */
	async function applicationWrites() {
		const id = nextId++;
		for (const [table, col] of [['users', 'email'], ['expect.users', 'email']] as const) {
			await app.query(`UPDATE ${table} SET ${col} = 'changed' || id || '@example.org' WHERE id % 997 = $1`, [id % 997]);
			await app.query(`UPDATE ${table} SET ${col} = NULL WHERE id = $1`, [(id % rows) + 1]);
			await app.query(`INSERT INTO ${table} (id, username, ${col}) VALUES ($1::bigint, 'late' || $1::text, 'late' || $1::text || '@example.com')`, [id]);
		}
	}

	/** The server notices a killed client at once; wait for its backends to go before resuming. */
	async function waitForZdmGone() {
		for (let i = 0; i < 100; i++) {
			const {rows: left} = await app.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'zdm-tui' AND datname = current_database()");
			if (left[0].n === 0) return;
			await sleep(50);
		}

		throw new Error('zdm-tui backends still connected 5 s after kill -9');
	}

	const queryable: () => Queryable = () => ({
		query: async (sql, params) => {
			const result = await app.query(sql, params);
			return {rows: result.rows, rowCount: result.rowCount ?? 0};
		},
		script: async sql => {
			await app.query(sql);
		},
	});

	async function expectComplete() {
		await waitForZdmGone();
		await applicationWrites();
		const resumed = startCli(args());
		const code = await resumed.exited;
		expect(code, resumed.stderr()).toBe(0);
		expect(JSON.parse(resumed.lines.at(-1)!)).toMatchObject({type: 'summary', phase: 'COMPLETE', progress: 100});
		expect(await columnsOf(app)).toEqual(['id', 'username', 'email']);
		const expected = await app.query<{hash: string; count: string}>("SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.id)) AS hash, count(*) AS count FROM expect.users t");
		expect(await rowsHash(app, 'id, username, email')).toBe(`${expected.rows[0]!.count}:${expected.rows[0]!.hash}`);
		expect(await leftovers(queryable())).toEqual([]);
	}

	/** Where a kill landed, as the database stored it: each step's status, and the backfill's committed batches. */
	interface Landed {
		phase?: string;
		steps: Record<number, string>;
		batches: Array<{afterKey: string | null; lastKey: string}>;
	}

	async function landed(): Promise<Landed> {
		const {rows: steps} = await app.query<{number: number; status: string}>("SELECT number, status FROM zdm.steps WHERE migration_id = 'MIG-003'").catch(() => ({rows: []}));
		const {rows: batches} = await app
			.query<{afterKey: string | null; lastKey: string}>("SELECT after_key AS \"afterKey\", last_key AS \"lastKey\" FROM zdm.backfill_batch WHERE migration_id = 'MIG-003' ORDER BY seq")
			.catch(() => ({rows: []}));
		return {phase: await migrationPhase(app, 'MIG-003'), steps: Object.fromEntries(steps.map(step => [step.number, step.status])), batches};
	}

	/**
	 * Kill once the condition's line is read (the process has usually moved on a little: that is the
	 * point), and return where it landed once its backends are gone: at least as far as the lines
	 * read say (every step reported executed is stored executed, or rolled back if the run went on
	 * to roll back; every batch reported is recorded).
	 */
	async function killAt(cli: CliProcess, match: (line: string) => boolean): Promise<Landed> {
		await cli.waitForLine(match);
		await kill9(cli);
		await waitForZdmGone();
		const where = await landed();
		const reported = cli.lines.filter(isEvent('step-executed')).map(line => (JSON.parse(line) as {step: {number: number}}).step.number);
		const rolledBack = new Set(cli.lines.filter(isEvent('step-rolled-back')).map(line => (JSON.parse(line) as {step: {number: number}}).step.number));
		for (const number of reported) expect(where.steps[number], `step ${number} was reported executed`).toMatch(rolledBack.has(number) || cli.lines.some(isEvent('step-failed')) ? /^(executed|rolled_back)$/ : /^executed$/);
		for (const number of rolledBack) expect(where.steps[number], `step ${number} was reported rolled back`).toBe('rolled_back');
		// Only the backfill's batches are recorded; the verify's are reads and report progress only.
		expect(where.batches.length).toBeGreaterThanOrEqual(cli.lines.filter(isEvent('batch', backfill)).length);
		return where;
	}

	/** The backfill was in flight: marked running, some but not all of its batches committed. */
	function expectMidBackfill(where: Landed, atLeast: number) {
		expect(where.steps).toMatchObject({1: 'executed', 2: 'executed', 3: 'executed', [backfill]: 'running', [verify]: 'pending', [contract]: 'pending'});
		expect(where.batches.length).toBeGreaterThanOrEqual(atLeast);
		expect(where.batches.length).toBeLessThan(rows / 50);
	}

	const nthLine = (n: number) => {
		let seen = 0;
		return () => ++seen >= n;
	};

	const nthBatch = (n: number) => {
		const batch = isEvent('batch', backfill);
		let seen = 0;
		return (line: string) => batch(line) && ++seen >= n;
	};

	const killPoints: Array<[string, () => Promise<void>]> = [
		// Early lines: steps 1 to 3 (each DDL and its mark commit together), the start of the backfill.
		...[1, 2, 3, 5, 7, 9, 11].map((n): [string, () => Promise<void>] => [`after output line ${n}`, async () => void (await killAt(start(), nthLine(n)))]),
		// Mid-backfill, at batches spread over the ~170 (a batch is whole pages: one page of ~120 rows
		// here). Near the end the rest may commit before the kill.
		...[1, 5, 30, 80, 120, 160].map((n): [string, () => Promise<void>] => [
			`after backfill batch ${n}`,
			async () => {
				const where = await killAt(start(), nthBatch(n));
				if (n <= 120) expectMidBackfill(where, n);
			},
		]),
		[
			'between the backfill and the contract',
			async () => {
				const where = await killAt(start(), isEvent('step-executed', backfill));
				expect(where.steps).toMatchObject({[backfill]: 'executed'});
			},
		],
		[
			'as the verify starts',
			async () => {
				const where = await killAt(start(), isEvent('step-started', verify));
				expect(where.steps).toMatchObject({1: 'executed', 2: 'executed', 3: 'executed', [backfill]: 'executed'});
			},
		],
		[
			'as the contract starts',
			async () => {
				const where = await killAt(start(), isEvent('step-started', contract));
				expect(where.steps).toMatchObject({1: 'executed', 2: 'executed', 3: 'executed', [backfill]: 'executed', [verify]: 'executed'});
			},
		],
		// Fixed delays land wherever node's start-up noise puts them.
		...[250, 400, 550, 700].map((ms): [string, () => Promise<void>] => [
			`${ms} ms after start`,
			async () => {
				const cli = start();
				await sleep(ms);
				await kill9(cli);
			},
		]),
		// Step 3 (the version schema's CREATE VIEW) takes no lock a writer holds: it never waits.
		...[1, 2, 'contract' as const].map((which): [string, () => Promise<void>] => [
			`while ${which === 'contract' ? 'the contract' : `step ${which}`}'s DDL waits for its lock`,
			async () => {
				const step = which === 'contract' ? contract : which;
				// Get to just before the step, then hold the table as an open write transaction would (ROW
				// EXCLUSIVE: step 2's CREATE TRIGGER queues behind it, where a reader's lock would let it
				// through), so the step's DDL must queue, and kill it there.
				// WHY `start` before the contract? It stops after the migrate phase by itself; a kill on
				// reading "backfill executed" can land after the quick verify and contract already committed.
				// (The verify's reads pass the blocker's ROW EXCLUSIVE lock; only the contract's DDL waits.)
				if (step === contract) {
					const first = startCli(['start', ...args().slice(1)]);
					expect(await first.exited, first.stderr()).toBe(0);
				} else if (step > 1) {
					await killAt(start(), isEvent('step-executed', step - 1));
				}

				const blocker = await connect(url);
				let where: Landed;
				try {
					await blocker.query('BEGIN');
					await blocker.query('LOCK TABLE users IN ROW EXCLUSIVE MODE');
					where = await killAt(start(), isEvent('lock-wait', step));
				} finally {
					await blocker.end();
				}

				// Killed in the step that waited: it never committed, everything before it did.
				for (let number = 1; number <= contract; number++) expect(where.steps[number] ?? 'pending', `step ${number}`).toBe(number < step ? 'executed' : 'pending');
			},
		]),
		[
			'inside a backfill batch waiting on a row lock',
			async () => {
				await killAt(start(), isEvent('step-executed', backfill - 1));
				const blocker = await connect(url);
				let where: Landed;
				let page: number;
				try {
					await blocker.query('BEGIN');
					// The locked row stays where it is, on this page, until the blocker lets go.
					page = (await blocker.query<{page: number}>('SELECT (ctid::text::point)[0]::int AS page FROM users WHERE id = 12345 FOR UPDATE')).rows[0]!.page;
					// The batch's UPDATE has done part of its range and waits: kill it in the middle.
					where = await killAt(start(), isEvent('lock-wait', backfill));
				} finally {
					await blocker.end();
				}

				expectMidBackfill(where, 0);
				// The batch over 12345's page never committed.
				expect(where.batches.filter(batch => Number(batch.afterKey) <= page && page < Number(batch.lastKey))).toEqual([]);
			},
		],
		[
			'twice in a row, mid-backfill each time',
			async () => {
				expectMidBackfill(await killAt(start(), nthBatch(40)), 40);
				await applicationWrites();
				// The second run's batch events count from its resume: 60 more than the first left.
				expectMidBackfill(await killAt(start(), nthBatch(60)), 100);
			},
		],
	];

	it('has at least 20 kill points over every step', () => {
		expect(killPoints.length).toBeGreaterThanOrEqual(20);
	});

	for (const [name, interrupt] of killPoints) {
		it(`killed ${name}: resumes to COMPLETE, rows exact, nothing left behind`, async () => {
			await reset();
			await interrupt();
			await expectComplete();
		});
	}

	/**
	 * A rollback cut short by the kill: the next run must finish it (exit 1, ROLLED_BACK, exactly the
	 * old rows and shape); otherwise it resumes or starts afresh and completes. Which one is
	 * predicted from the stored state at the kill, and the first case always lands mid-rollback.
	 */
	it.each([
		[
			'while the rollback after a failed backfill waits for its lock',
			async () => {
				await killAt(start(), isEvent('step-executed', backfill - 1));
				// SHARE UPDATE EXCLUSIVE lets the backfill's UPDATEs through but not the rollback's DROP
				// TRIGGER (step 2; the version schema's views, step 3, roll back without a lock on users).
				const blocker = await connect(url);
				try {
					await blocker.query('BEGIN');
					await blocker.query('LOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE');
					const where = await killAt(start('--fail-at', String(backfill)), isEvent('lock-wait', 2));
					expect(where).toMatchObject({phase: 'MIGRATING', steps: {1: 'executed', 2: 'executed', 3: 'rolled_back', [backfill]: 'failed', [verify]: 'pending', [contract]: 'pending'}});
					return where;
				} finally {
					await blocker.end();
				}
			},
		],
		['while rolling back after an injected failure at the contract', async () => killAt(start('--fail-at', String(contract)), isEvent('step-rolled-back'))],
		['just as the backfill failed', async () => killAt(start('--fail-at', String(backfill)), isEvent('step-failed', backfill))],
	])('killed %s: the next run finishes the rollback exactly, the one after completes', async (name, interrupt) => {
		await reset();
		const before = await rowsHash(app, 'id, username, email');
		const where = await interrupt();
		const cutShort = /EXPANDING|MIGRATING|CONTRACTING/.test(where.phase ?? '') && Object.values(where.steps).some(status => status === 'failed' || status === 'rolled_back');
		if (name.includes('waits for its lock')) expect(cutShort).toBe(true);
		const resumed = startCli(args());
		const code = await resumed.exited;
		const summary = JSON.parse(resumed.lines.at(-1)!) as {phase: string; error?: string};
		if (!cutShort) {
			// The kill landed before the failure was stored (the rerun resumes) or after the rollback ended (it starts afresh).
			expect(code, resumed.stderr()).toBe(0);
			expect(summary.phase).toBe('COMPLETE');
		} else {
			expect(code, resumed.stderr()).toBe(1);
			expect(summary).toMatchObject({phase: 'ROLLED_BACK', progress: 0});
			expect(summary.error).toMatch(/finished the rollback that was interrupted/);
			expect(await migrationPhase(app, 'MIG-003')).toBe('ROLLED_BACK');
			expect(await columnsOf(app)).toEqual(['id', 'username', 'email']);
			expect(await rowsHash(app, 'id, username, email')).toBe(before);
			expect(await leftovers(queryable())).toEqual([]);
		}

		await expectComplete();
	});
});

describe('kill -9 on the embedded database (--data-dir)', () => {
	const dir = mkdtempSync(join(tmpdir(), 'zdm-crash-pglite-'));
	const args = ['run', 'samples/change-email-type.json', '--yes', '--json', '--batch-size', '20', '--data-dir', dir];

	afterAll(async () => {
		rmSync(dir, {recursive: true, force: true});
	});

	/** Open the directory in this process (the CLI has exited) and hash the rows. */
	async function hashIn(column: string) {
		const db = await openPglite({dataDir: dir});
		try {
			return {hash: await queryHash(db, column), leftovers: await leftovers(db)};
		} finally {
			await db.close();
		}
	}

	const queryHash = async (db: Queryable, column: string) =>
		(await db.query<{hash: string}>(`SELECT count(*) || ':' || md5(string_agg(t::text, E'\\n' ORDER BY t.id)) AS hash FROM (SELECT id, username, ${column} FROM users) t`)).rows[0]!.hash;

	// One point only: every open of a data directory costs seconds. The server suite above covers the spread.
	it.each([
		[
			'mid-backfill',
			(() => {
				let seen = 0;
				return (line: string) => isEvent('batch')(line) && ++seen === 40;
			})(),
		],
	])('killed %s: the next run recovers the directory, resumes and completes with the same rows', async (_when, match) => {
		const seeded = startCli(['seed', '--rows', '3000', '--force', '--yes', '--data-dir', dir]);
		expect(await seeded.exited, seeded.stderr()).toBe(0);
		const before = await hashIn('email');
		const cli = startCli(args);
		await cli.waitForLine(match);
		await kill9(cli);
		const resumed = startCli(args);
		expect(await resumed.exited, resumed.stderr()).toBe(0);
		expect(JSON.parse(resumed.lines.at(-1)!)).toMatchObject({phase: 'COMPLETE'});
		expect(await hashIn('email')).toEqual({hash: before.hash, leftovers: []});
	});
});

/**
 * The rename sample is two steps: the version schema (a view alias), then one RENAME at contract.
 * kill -9 at every step of it, then the same command again: COMPLETE, or an exact rollback; and
 * no version schema is left that zdm does not own.
 */
describe.skipIf(!serverUrl() || !hasPgDump())('kill -9 at every step of a rename', () => {
	let url: string;
	let app: pg.Client;
	useServerDatabase(server => ({url, app} = server));

	const args = (...extra: string[]) => ['run', 'samples/rename-email.yaml', '--yes', '--json', '--database-url', url, ...extra];

	/** Every schema but the system's and zdm's state: public, and the version schemas zdm owns. */
	async function schemas() {
		const {rows} = await app.query<{name: string}>("SELECT nspname AS name FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'zdm') ORDER BY 1");
		const {rows: owned} = await app.query<{name: string}>("SELECT version_schema AS name FROM zdm.migrations WHERE phase <> 'ROLLED_BACK'").catch(() => ({rows: [] as Array<{name: string}>}));
		return {all: rows.map(row => row.name), owned: owned.map(row => row.name)};
	}

	async function reset() {
		await app.query(resetMigrationsSql);
		await seed(app, 2000);
	}

	const points: Array<[string, (line: string) => boolean]> = [
		['as step 1 (the version schema) starts', isEvent('step-started', 1)],
		['after step 1', isEvent('step-executed', 1)],
		['as step 2 (the contract) starts', isEvent('step-started', 2)],
		['after step 2', isEvent('step-executed', 2)],
	];

	it.each(points)('killed %s: the same command again reaches COMPLETE, every version schema owned', async (_name, match) => {
		await reset();
		const before = await rowsHash(app, 'id, username, email');
		const cli = startCli(args());
		await cli.waitForLine(match);
		await kill9(cli);
		const again = await runToEnd(args());
		expect(again.code, again.stderr).toBe(0);
		expect(again.last()).toMatchObject({phase: 'COMPLETE'});
		expect(await columnsOf(app)).toEqual(['id', 'username', 'contact_email']);
		expect(await rowsHash(app, 'id, username, contact_email')).toBe(before);
		expect(await schemas()).toEqual({all: ['public', 'public_MIG-002'], owned: ['public_MIG-002']});
	});

	it.each(points.slice(0, 3))('killed %s, then rolled back: exactly as before, by pg_dump of the whole database', async (_name, match) => {
		await reset();
		const before = {dump: await pgDumpDatabase(url), rows: await rowsHash(app, '*')};
		const cli = startCli(args());
		await cli.waitForLine(match);
		await kill9(cli);
		const rollback = await runToEnd(['rollback', 'MIG-002', '--yes', '--json', '--database-url', url]);
		// The kill may land after the contract committed: a finished rename is not rolled back.
		if (rollback.code === 2) {
			expect(rollback.stderr).toMatch(/COMPLETE and cannot be rolled back|no migration "MIG-002"/);
			return;
		}

		expect(rollback.code, rollback.stderr).toBe(0);
		expect({dump: await pgDumpDatabase(url), rows: await rowsHash(app, '*')}).toEqual(before);
		expect((await schemas()).all).toEqual(['public']);
	});
});

/**
 * kill -9 in the middle of the backfills over every kind of key (test/support/key-kinds.ts),
 * twice, then the same command again. Two sessions fill batches at once, so a kill can leave an
 * unrecorded range behind a recorded one: the resumes must do exactly those ranges. Proof: the
 * backfills' own log counts every row exactly once over all runs (a killed batch's log rows die
 * with it), and the rows end as one plain UPDATE leaves them.
 */
describe.skipIf(!serverUrl())('kill -9 mid-backfill over any key', () => {
	let url: string;
	let app: pg.Client;
	useServerDatabase(server => ({url, app} = server));
	const plan = writePlan(keysPlan);
	const args = () => ['run', plan, '--yes', '--json', '--batch-size', '40', '--database-url', url];

	const batchesRecorded = async () => (await app.query<{n: number}>("SELECT count(*)::int AS n FROM zdm.backfill_batch WHERE migration_id = 'MIG-KEYS'")).rows[0]!.n;

	it.each(keyKinds)('$name: resumed twice, every row written once, as one UPDATE writes it', async kind => {
		await app.query(resetMigrationsSql);
		await app.query(keyKindSetup(kind, 3000));
		const total = (await app.query<{n: number}>('SELECT count(*)::int AS n FROM items')).rows[0]!.n;
		// 25 to 40 batches a backfill (whole pages, by the key's width): killed in add_column's, then
		// (counting from the resume) at or past the type change's start.
		for (const batches of [10, 25]) {
			const recordedBefore = await batchesRecorded().catch(() => 0);
			const cli = startCli(args());
			await cli.waitForLine(nthBatchLine(batches));
			await kill9(cli);
			await zdmGone(app);
			expect(await migrationPhase(app, 'MIG-KEYS')).toBe('MIGRATING');
			expect(await batchesRecorded()).toBeGreaterThanOrEqual(recordedBefore + batches);
		}

		const again = await runToEnd(args());
		expect(again.code, again.stderr).toBe(0);
		expect(again.last()).toMatchObject({phase: 'COMPLETE'});
		expect((await app.query(keyKindWritten, ['note'])).rows[0]).toEqual({rows: total, once: total});
		expect((await app.query(keyKindWritten, ['qty'])).rows[0]).toEqual({rows: total, once: total});
		const hash = async (table: string) => (await app.query<{hash: string}>(keyKindRowsHash(kind, table))).rows[0]!.hash;
		expect(await hash('items')).toBe(await hash('expected'));
	});
});

function nthBatchLine(n: number) {
	const batch = isEvent('batch');
	let seen = 0;
	return (line: string) => batch(line) && ++seen >= n;
}
