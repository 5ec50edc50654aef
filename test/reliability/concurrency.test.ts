import type pg from 'pg';
import {describe, expect, it} from 'vitest';
import {serverUrl} from '../support/databases.js';
import {columnsOf, compiledSteps, connect, definitionOrColumns, isEvent, kill9, rowsHash, runToEnd, seed, sleep, startCli, stepNumber, type CliProcess, useServerDatabase} from './support.js';

/**
 * Two zdm-tui on one database, and DDL behind a long transaction. The first is refused at once
 * (exit 3) with who holds the database; the second waits aside with a short lock_timeout, backs
 * off, and gives up after --max-lock-wait, rolled back to exactly what was there.
 */

describe.skipIf(!serverUrl())('concurrency', () => {
	let url: string;
	let app: pg.Client;

	useServerDatabase(server => ({url, app} = server));

	const run = (plan: string, ...extra: string[]) => ['run', plan, '--yes', '--json', '--database-url', url, ...extra];
	const definition = async () => definitionOrColumns(url, app);

	/** A transaction that has read the table and stays open: what an ALTER must wait behind. */
	async function longTransaction(): Promise<pg.Client & {pid: number}> {
		const blocker = await connect(url);
		await blocker.query('BEGIN');
		await blocker.query('SELECT 1 FROM users LIMIT 1');
		const {rows} = await blocker.query<{pid: number}>('SELECT pg_backend_pid() AS pid');
		return Object.assign(blocker, {pid: rows[0]!.pid});
	}

	it('a second instance is refused at once (exit 3) naming the migration and process; after kill -9 the lock is free', async () => {
		await seed(app, 5000);
		const before = await rowsHash(app, '*');
		const blocker = await longTransaction();
		let first: CliProcess | undefined;
		try {
			// The first instance holds the database, waiting for its lock for up to a minute.
			first = startCli(run('samples/change-email-type.json', '--max-lock-wait', '60000'));
			await first.waitForLine(isEvent('lock-wait', 1));
			for (const plan of ['samples/change-email-type.json', 'samples/add-display-name.yaml']) {
				const started = Date.now();
				const second = await runToEnd(run(plan));
				expect(second.code, second.stderr).toBe(3);
				expect(Date.now() - started, 'refused at once, not after waiting').toBeLessThan(15_000);
				const stderr = second.stderr.trim();
				expect(stderr.split('\n')).toHaveLength(1);
				expect(stderr).toMatch(new RegExp(`^zdm-tui: the database is held by another zdm-tui running migration MIG-003 \\(pid ${first.child.pid} on .+, since .+\\) — `));
			}

			await kill9(first);
		} finally {
			await blocker.end();
		}

		// The server drops a dead client's session, and the session-level lock with it.
		let free = false;
		for (let i = 0; i < 100 && !free; i++) {
			const {rows} = await app.query<{n: number}>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 7406210");
			free = rows[0]!.n === 0;
			if (!free) await sleep(50);
		}

		expect(free, 'the advisory lock of a killed instance is still held after 5 s').toBe(true);
		const third = await runToEnd(run('samples/change-email-type.json'));
		expect(third.code, third.stderr).toBe(0);
		expect(third.last()).toMatchObject({phase: 'COMPLETE'});
		expect(await rowsHash(app, '*')).toBe(before);
	});

	it('DDL behind a long transaction retries with backoff, names the blocker, and gives up after --max-lock-wait: exit 1, unchanged', async () => {
		await seed(app, 2000);
		const before = {definition: await definition(), rows: await rowsHash(app, '*')};
		const blocker = await longTransaction();
		let cli: CliProcess;
		let readerMs = Number.NaN;
		try {
			const started = Date.now();
			cli = startCli(run('samples/change-email-type.json', '--lock-timeout', '100', '--max-lock-wait', '2000'));
			await cli.waitForLine(isEvent('lock-wait', 1));
			// The application's readers are not stuck behind the queued ALTER for more than a lock_timeout.
			const reader = await connect(url);
			try {
				const read = Date.now();
				await reader.query('SELECT count(*) FROM users');
				readerMs = Date.now() - read;
			} finally {
				await reader.end();
			}

			expect(await cli.exited, cli.stderr()).toBe(1);
			expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
		} finally {
			await blocker.end();
		}

		expect(readerMs).toBeLessThan(2000);
		const waits = cli.lines.map(line => JSON.parse(line) as {type: string; attempt?: number; waitedMs?: number; blockers?: Array<{pid: number}>}).filter(event => event.type === 'lock-wait');
		expect(waits.length).toBeGreaterThanOrEqual(3);
		expect(waits.map(wait => wait.attempt)).toEqual(waits.map((_, index) => index + 1));
		expect(waits[0]!.blockers!.map(b => b.pid)).toContain(blocker.pid);
		// Backoff: the pause between attempts grows (exponential, with jitter of at most half).
		const gaps = waits.slice(1).map((wait, index) => wait.waitedMs! - waits[index]!.waitedMs!);
		expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]!);
		const summary = JSON.parse(cli.lines.at(-1)!) as {phase: string; error: string};
		expect(summary.phase).toBe('ROLLED_BACK');
		expect(summary.error).toMatch(/^could not get the lock after \d+ attempts over 2\.\d s: another transaction holds the table — end the long transaction \(see the blockers shown\) or raise --max-lock-wait$/);
		expect(await definition()).toBe(before.definition);
		expect(await rowsHash(app, '*')).toBe(before.rows);
	});

	it('complete gives up behind a long transaction and leaves the migration started; a rollback then restores it exactly', async () => {
		await seed(app, 2000);
		const contract = stepNumber(await compiledSteps(app, 'samples/change-email-type.json'), 'contract');
		const before = {definition: await definition(), rows: await rowsHash(app, '*')};
		const start = await runToEnd(['start', ...run('samples/change-email-type.json').slice(1)]);
		expect(start.code, start.stderr).toBe(0);
		const blocker = await longTransaction();
		let cli: CliProcess;
		try {
			// The verify reads past the long transaction; the contract's DDL is the step that gives up.
			cli = startCli(['complete', 'MIG-003', '--yes', '--json', '--database-url', url, '--lock-timeout', '100', '--max-lock-wait', '1000']);
			await cli.waitForLine(isEvent('step-failed', contract));
		} finally {
			// The long transaction ends while the contract's own undo waits for the same lock.
			await blocker.end();
		}

		// The new application already runs on the version schema: a failed complete keeps it started.
		expect(await cli.exited, cli.stderr()).toBe(1);
		const summary = JSON.parse(cli.lines.at(-1)!) as {phase: string; error: string};
		expect(summary.phase).toBe('MIGRATING');
		expect(summary.error).toMatch(/still started and both versions work/);
		const {rows: views} = await app.query("SELECT 1 FROM pg_views WHERE schemaname = 'public_MIG-003' AND viewname = 'users'");
		expect(views).toHaveLength(1);
		const rollback = await runToEnd(['rollback', 'MIG-003', '--yes', '--json', '--database-url', url]);
		expect(rollback.code, rollback.stderr).toBe(0);
		expect(rollback.last()).toMatchObject({phase: 'ROLLED_BACK', progress: 0});
		expect(await definition()).toBe(before.definition);
		expect(await rowsHash(app, '*')).toBe(before.rows);
	});

	it('a rollback that itself cannot get its lock stops in one line and finishes on the next run', async () => {
		await seed(app, 2000);
		const before = {definition: await definition(), rows: await rowsHash(app, '*')};
		const start = await runToEnd(['start', ...run('samples/change-email-type.json').slice(1)]);
		expect(start.code, start.stderr).toBe(0);
		const blocker = await longTransaction();
		try {
			const stuck = await runToEnd(['rollback', 'MIG-003', '--yes', '--json', '--database-url', url, '--lock-timeout', '100', '--max-lock-wait', '800']);
			expect(stuck.code).toBe(1);
			expect(stuck.stderr.trim().split('\n')).toHaveLength(1);
			expect(stuck.stderr).toMatch(/^zdm-tui: could not get the lock after \d+ attempts/);
		} finally {
			await blocker.end();
		}

		const again = await runToEnd(['rollback', 'MIG-003', '--yes', '--json', '--database-url', url]);
		expect(again.code, again.stderr).toBe(0);
		expect(again.last()).toMatchObject({phase: 'ROLLED_BACK'});
		expect(await definition()).toBe(before.definition);
		expect(await rowsHash(app, '*')).toBe(before.rows);
	});

	it.each([
		['takes the hold again on a new session and completes', false],
		['stops with exit 3 when another took it meanwhile, and resumes later', true],
	])('the holder connection cut mid-run: %s', async (_what, takenMeanwhile) => {
		await seed(app, 2000);
		const before = await rowsHash(app, '*');
		const blocker = await longTransaction();
		const other = await connect(url);
		let cli: CliProcess;
		let cut: number;
		try {
			cli = startCli(run('samples/change-email-type.json', '--lock-timeout', '100'));
			await cli.waitForLine(isEvent('lock-wait', 1));
			const {rows} = await app.query<{backend_pid: number}>('SELECT backend_pid FROM zdm.holder');
			cut = rows[0]!.backend_pid;
			await app.query('SELECT pg_terminate_backend($1)', [cut]);
			if (takenMeanwhile) {
				for (let i = 0; i < 100; i++) {
					const {rows: got} = await other.query<{got: boolean}>('SELECT pg_try_advisory_lock(7406210) AS got');
					if (got[0]!.got) break;
					await sleep(20);
				}
			}
		} finally {
			await blocker.end();
		}

		try {
			const code = await cli.exited;
			if (takenMeanwhile) {
				expect(code, cli.stderr()).toBe(3);
				expect(cli.stderr().trim()).toMatch(/^zdm-tui: lost the hold on the database, and .* took it; stopped before the next step — the state is saved/);
				const columns = await columnsOf(app);
				expect(columns.slice(0, 3)).toEqual(['id', 'username', 'email']);
				expect(columns[3]).toMatch(/^_zdm_email_/);
			} else {
				expect(code, cli.stderr()).toBe(0);
				const {rows} = await app.query<{backend_pid: number}>('SELECT backend_pid FROM zdm.holder');
				expect(rows[0]!.backend_pid).not.toBe(cut);
			}
		} finally {
			await other.end();
		}

		const resumed = await runToEnd(run('samples/change-email-type.json'));
		expect(resumed.code, resumed.stderr).toBe(0);
		expect(resumed.last()).toMatchObject({phase: 'COMPLETE'});
		expect(await rowsHash(app, '*')).toBe(before);
	});

	it.each([
		['waits for it in one attempt and completes', false],
		['gives up after --max-lock-wait and rolls back, leaving no INVALID index', true],
	])('a concurrent index build behind an old snapshot %s', async (_what, tooLong) => {
		await seed(app, 2000);
		// Carried over to the new email column by a CREATE UNIQUE INDEX CONCURRENTLY step (step 5).
		await app.query('ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)');
		const before = {definition: await definition(), rows: await rowsHash(app, '*')};
		// Any open snapshot, even one that never touched users, holds back a concurrent build.
		const snapshot = await connect(url);
		let cli: CliProcess;
		try {
			await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
			await snapshot.query('SELECT count(*) FROM pg_class');
			cli = startCli(run('samples/change-email-type.json', '--lock-timeout', '100', '--max-lock-wait', tooLong ? '800' : '30000'));
			await cli.waitForLine(isEvent('step-started', 5));
			if (tooLong) await cli.exited;
			else await sleep(500);
		} finally {
			await snapshot.end();
		}

		const code = await cli.exited;
		const summary = JSON.parse(cli.lines.at(-1)!) as {phase: string; error?: string};
		if (tooLong) {
			expect(code, cli.stderr()).toBe(1);
			expect(summary.phase).toBe('ROLLED_BACK');
			expect(summary.error).toMatch(/^step 5 waited 0\.8 s for older transactions to end .* — end the long transactions, or raise --max-lock-wait$/);
			expect(await definition()).toBe(before.definition);
			expect(await rowsHash(app, '*')).toBe(before.rows);
		} else {
			expect(code, cli.stderr()).toBe(0);
			expect(summary.phase).toBe('COMPLETE');
			const {rows} = await app.query("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'users_email_key'");
			expect(rows).toEqual([{def: 'UNIQUE (email)'}]);
		}

		const {rows: invalid} = await app.query('SELECT count(*)::int AS n FROM pg_index WHERE NOT indisvalid');
		expect(invalid[0].n).toBe(0);
	});
});
