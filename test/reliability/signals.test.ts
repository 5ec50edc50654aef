import type pg from 'pg';
import {describe, expect, it} from 'vitest';
import {runCli} from '../support/cli.js';
import {serverUrl} from '../support/databases.js';
import {columnsOf, compiledSteps, connect, isEvent, migrationPhase, rowsHash, seed, sleep, startCli, stepNumber, type CliProcess, useServerDatabase} from './support.js';

/**
 * Ctrl-C / SIGTERM, and the server dropping our connection: the batch or DDL transaction in flight
 * finishes or rolls back, the state is saved, the process says so in one line (exit 130), and the
 * same command run again resumes to COMPLETE with every row right.
 */

const rows = 20_000;

describe.skipIf(!serverUrl())('signals and lost connections', () => {
	let url: string;
	let app: pg.Client;
	let original: string;

	useServerDatabase(server => ({url, app} = server));

	const args = (...extra: string[]) => ['run', 'samples/change-email-type.json', '--yes', '--json', '--batch-size', '50', '--database-url', url, ...extra];

	/** The transactions that wrote the seeded rows: a row with another xmin was written since. */
	let seeded: string[];

	async function reset() {
		await seed(app, rows);
		original = await rowsHash(app, 'id, username, email');
		seeded = (await app.query<{xmins: string[]}>('SELECT array_agg(DISTINCT xmin::text) AS xmins FROM users')).rows[0]!.xmins;
	}

	/** Exit 130 with one line that says the state is saved and how to go on. */
	async function expectInterrupted(cli: CliProcess, pattern: RegExp) {
		const code = await cli.exited;
		const stderr = cli.stderr().trim();
		expect(code, stderr).toBe(130);
		expect(stderr.split('\n')).toHaveLength(1);
		expect(stderr).toMatch(pattern);
		expect(stderr).toMatch(/run the same command again to resume$/);
		expect(JSON.parse(cli.lines.at(-1)!)).toMatchObject({type: 'summary', id: 'MIG-003'});
	}

	/** zdm's shadow column for the new email while the migration runs. */
	async function shadowColumn(): Promise<string> {
		const columns = await columnsOf(app);
		const shadow = columns.find(column => column.startsWith('_zdm_email_'));
		expect(shadow, `a shadow column among ${columns.join(', ')}`).toBeDefined();
		return shadow!;
	}

	/**
	 * The recorded batches are exactly what was written: as many rows rewritten since the seed as
	 * they record (a NULL email fills a NULL, so rows are told by their xmin, not their value),
	 * each right, and none past them (a batch stopped in flight left its rows as they were).
	 */
	async function expectBackfillCutAtRecordedBatches() {
		const shadow = `"${await shadowColumn()}"`;
		const {rows: check} = await app.query<{recorded: number; keys: number; wrong: number}>(
			`SELECT count(*) FILTER (WHERE xmin::text <> ALL ($1::text[]))::int AS recorded,
			        (SELECT COALESCE(sum(rows), 0) FROM zdm.backfill_batch WHERE migration_id = 'MIG-003')::int AS keys,
			        count(*) FILTER (WHERE xmin::text <> ALL ($1::text[]) AND ${shadow} IS DISTINCT FROM lower(email))::int AS wrong
			   FROM users`,
			[seeded],
		);
		const {recorded, keys, wrong} = check[0]!;
		expect(recorded).toBeGreaterThan(0);
		expect(recorded).toBeLessThan(rows);
		expect(keys).toBe(recorded);
		expect(wrong).toBe(0);
		// status tells how far the stopped backfill got, in both forms.
		const status = await runCli(['status', 'MIG-003', '--database-url', url]);
		expect(status.stdout).toContain(`step 4 backfill stopped at ${recorded.toLocaleString('en-US')} rows; running it again resumes`);
		const json = await runCli(['status', '--json', '--database-url', url]);
		const [migration] = JSON.parse(json.stdout).migrations as Array<{steps: Array<{number: number; rowsDone?: number}>}>;
		expect(migration!.steps.find(step => step.number === 4)).toMatchObject({rowsDone: recorded});
	}

	async function expectResumesToComplete() {
		const resumed = startCli(args());
		expect(await resumed.exited, resumed.stderr()).toBe(0);
		expect(JSON.parse(resumed.lines.at(-1)!)).toMatchObject({phase: 'COMPLETE', progress: 100});
		expect(await columnsOf(app)).toEqual(['id', 'username', 'email']);
		expect(await rowsHash(app, 'id, username, email')).toBe(original);
	}

	for (const signal of ['SIGTERM', 'SIGINT'] as const) {
		it(`${signal} mid-backfill: the batch commits with its cursor, exit 130, the next run resumes`, async () => {
			await reset();
			const cli = startCli(args());
			let batches = 0;
			await cli.waitForLine(line => isEvent('batch')(line) && ++batches === 20);
			cli.child.kill(signal);
			await expectInterrupted(cli, /^zdm-tui: interrupted during the backfill of step 4; its finished batches are saved/);
			expect(await migrationPhase(app, 'MIG-003')).toBe('MIGRATING');
			await expectBackfillCutAtRecordedBatches();
			await expectResumesToComplete();
		});
	}

	it('SIGTERM while a DDL step waits for its lock: it stops at once, nothing applied, exit 130', async () => {
		await reset();
		const blocker = await connect(url);
		try {
			await blocker.query('BEGIN');
			await blocker.query('SELECT 1 FROM users LIMIT 1');
			const cli = startCli(args('--max-lock-wait', '60000', '--lock-timeout', '200'));
			await cli.waitForLine(isEvent('lock-wait', 1));
			const signalled = Date.now();
			cli.child.kill('SIGTERM');
			await expectInterrupted(cli, /^zdm-tui: interrupted while waiting for a lock; the statement that waited was rolled back and the state is saved/);
			// Not the 60 s budget: one lock_timeout at most, plus shutting down.
			expect(Date.now() - signalled).toBeLessThan(10_000);
			expect(await columnsOf(app)).toEqual(['id', 'username', 'email']);
		} finally {
			await blocker.end();
		}

		await expectResumesToComplete();
	});

	it('SIGTERM between steps: the step in flight finishes, the next does not start', async () => {
		await reset();
		const cli = startCli(args());
		await cli.waitForLine(isEvent('step-executed', 1));
		cli.child.kill('SIGTERM');
		await expectInterrupted(cli, /^zdm-tui: interrupted (after step [123]|during the backfill of step 4)/);
		const summary = JSON.parse(cli.lines.at(-1)!) as {steps: Array<{status: string}>};
		expect(summary.steps[4]!.status).toBe('pending');
		await expectResumesToComplete();
	});

	/** The executor's backend, found waiting on a lock we hold, terminated from another connection. */
	async function terminateWaitingZdmBackend(): Promise<number> {
		for (let i = 0; i < 100; i++) {
			const {rows: waiting} = await app.query<{pid: number}>("SELECT pid FROM pg_stat_activity WHERE application_name = 'zdm-tui' AND datname = current_database() AND wait_event_type = 'Lock'");
			if (waiting[0]) {
				await app.query('SELECT pg_terminate_backend($1)', [waiting[0].pid]);
				return waiting[0].pid;
			}

			await sleep(20);
		}

		throw new Error('no zdm-tui backend waiting on a lock');
	}

	it('the backfill connection terminated mid-batch: one clear line, the batch rolled back, resumable', async () => {
		await reset();
		const cli = startCli(args('--lock-timeout', '5000'));
		await cli.waitForLine(isEvent('step-executed', 3));
		const blocker = await connect(url);
		try {
			// A row the backfill will reach, locked: its batch waits there, half done, until we cut it.
			await blocker.query('BEGIN');
			await blocker.query('SELECT * FROM users WHERE id = 15000 FOR UPDATE');
			await terminateWaitingZdmBackend();
			await expectInterrupted(cli, /^zdm-tui: lost the connection to the database during step 4 \(terminating connection due to administrator command\); nothing half-done was kept and the state is saved/);
		} finally {
			await blocker.end();
		}

		expect(await migrationPhase(app, 'MIG-003')).toBe('MIGRATING');
		await expectBackfillCutAtRecordedBatches();
		await expectResumesToComplete();
	});

	it('every zdm connection terminated while the contract waits for its lock: resumable, nothing half-done', async () => {
		await reset();
		const contract = stepNumber(await compiledSteps(app, 'samples/change-email-type.json'), 'contract');
		const start = startCli(['start', ...args().slice(1)]);
		expect(await start.exited, start.stderr()).toBe(0);
		const blocker = await connect(url);
		let cli: CliProcess;
		try {
			await blocker.query('BEGIN');
			await blocker.query('SELECT 1 FROM users LIMIT 1');
			// The verify before it only reads, past the blocker; the contract's DDL is what waits.
			cli = startCli(args('--lock-timeout', '5000'));
			await cli.waitForLine(isEvent('step-started', contract));
			await terminateWaitingZdmBackend();
			// The holder's session and the idle pool connections go too.
			await app.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'zdm-tui' AND datname = current_database()");
			await expectInterrupted(cli, new RegExp(`^zdm-tui: lost the connection to the database during step ${contract} `));
		} finally {
			await blocker.end();
		}

		// The verify before the contract committed, and with it the contract's phase; the contract's DDL did nothing.
		expect(await migrationPhase(app, 'MIG-003')).toBe('CONTRACTING');
		expect((await columnsOf(app)).slice(0, 3)).toEqual(['id', 'username', 'email']);
		await shadowColumn();
		await expectResumesToComplete();
	});
});
