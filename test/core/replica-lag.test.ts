import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import type {ExecutorEvent} from '../../source/core/events.js';
import {Executor} from '../../source/core/executor.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {WalTimeline} from '../../source/core/replica-lag.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openPostgres} from '../../source/db/postgres.js';
import {openReplica} from '../../source/db/replica.js';
import {throttleFigures} from '../../source/db/replica-lag-state.js';
import {runCli, lastJson} from '../support/cli.js';
import {canReplicate, type PgReplica} from '../support/pg-replica.js';
import {findPgBin, type PgServer} from '../support/pg-server.js';
import {freshUsers, startReplicated} from '../support/replicated.js';

const sample = 'samples/add-display-name.yaml';

describe('replica lag from WAL positions', () => {
	it('is the age of the oldest WAL the replica lacks, and nothing once it has it all, however idle the primary', () => {
		const timeline = new WalTimeline();
		timeline.record(100n, 0);
		timeline.record(100n, 500); // idle: the position has not moved, its age is when it was first seen
		timeline.record(200n, 1000);
		timeline.record(300n, 2000);
		expect(timeline.lagMs(300n, 5000)).toBe(0);
		expect(timeline.lagMs(100n, 2500)).toBe(1500);
		expect(timeline.lagMs(250n, 2500)).toBe(500);
		// Behind the first position ever seen: at least as old as that sample.
		expect(timeline.lagMs(50n, 2500)).toBe(2500);
		timeline.forgetUpTo(200n);
		expect(timeline.lagMs(250n, 2500)).toBe(500);
		expect(timeline.lagMs(300n, 9000)).toBe(0);
	});
});

// A replica needs server binaries and pg_basebackup; without them this says so, loudly.
const replicable = Boolean(findPgBin()) && canReplicate();
if (!replicable) console.warn('\n!!! No PostgreSQL server binaries with pg_basebackup: the replica lag tests are SKIPPED. Install the postgresql package. !!!\n');

/**
 * WHY a primary of its own? A replica attached to the shared test server would make every other
 * file's backfill warn about unthrottled replicas, and their WAL would move our lag.
 */
describe.skipIf(!replicable)('the backfill with a streaming replica', () => {
	let primary: PgServer;
	let replica: PgReplica;
	let db: Database;
	const database = 'replica_lag';
	let url: string;

	beforeAll(async () => {
		({primary, replica, url} = await startReplicated(database));
	});

	afterAll(async () => {
		await db?.close();
		await replica?.stop();
		await primary?.stop();
	});

	async function fresh(rows: number) {
		await db?.close();
		db = await freshUsers(url, rows);
	}

	const wrongRows = async (on: Queryable) => {
		const {rows} = await on.query<{count: number}>('SELECT count(*)::int AS count FROM users WHERE display_name IS DISTINCT FROM initcap(username)');
		return rows[0]!.count;
	};

	type Queryable = Pick<Database, 'query'>;

	it('stops advancing while replay is paused (at most one batch after it sees the lag), then completes with every row right', async () => {
		await fresh(20_000);
		const plan = compilePlan(readPlanFile(sample), await readCatalog(db)).plan;
		const replicaPort = openReplica(replica.urlFor(database));
		const maxLagMs = 300;
		const executor = await Executor.open(db, plan, {batchSize: 100, backfillWorkers: 2, replicas: [replicaPort], maxLagMs});
		const events: ExecutorEvent[] = [];
		let batches = 0;
		executor.on(event => {
			events.push(event);
			if (event.type === 'batch') batches++;
		});
		// After a few batches, replay stops. The small pause per batch keeps a fast machine from
		// finishing all 200 batches before the lag (which grows with time) passes the limit.
		let pausing: Promise<void> | undefined;
		executor.control.gate = async () => {
			if (batches >= 5) pausing ??= replica.pauseReplay();
			await pausing;
			await new Promise(resolve => setTimeout(resolve, 5));
		};
		const run = executor.run();
		const firstThrottle = () => events.findIndex(event => event.type === 'replica-lag' && event.throttled);
		const throttledReports = () => events.slice(firstThrottle()).filter(event => event.type === 'replica-lag' && event.throttled).length;
		// Seen the lag, then several measurements later still waiting (the throttle polls every maxLag/4).
		await until(() => firstThrottle() >= 0 && throttledReports() >= 6, run);
		const seenAt = firstThrottle();
		const batchesAfter = events.slice(seenAt).filter(event => event.type === 'batch').length;
		expect(batchesAfter).toBeLessThanOrEqual(1);
		const seen = events[seenAt] as Extract<ExecutorEvent, {type: 'replica-lag'}>;
		expect(seen.replicas[0]!.lagMs).toBeGreaterThan(maxLagMs);
		// The table agrees: what is filled is exactly what the committed batches say.
		const lastBatch = events.findLast(event => event.type === 'batch') as Extract<ExecutorEvent, {type: 'batch'}>;
		expect(lastBatch.rowsDone).toBeLessThan(lastBatch.rowsTotal);
		const {rows: filled} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users WHERE display_name IS NOT NULL');
		expect(filled[0]!.count).toBe(lastBatch.rowsDone);

		await replica.resumeReplay();
		expect((await run).outcome).toBe('complete');
		expect(await wrongRows(db)).toBe(0);
		// The waiting ended with a report that says so, and the wait is stored for `status`.
		const last = events.findLast(event => event.type === 'replica-lag') as Extract<ExecutorEvent, {type: 'replica-lag'}>;
		expect(last.throttled).toBe(false);
		expect(last.waitedMs).toBeGreaterThan(0);
		const stored = [...(await throttleFigures(db, plan.id)).values()];
		expect(stored).toHaveLength(1);
		expect(stored[0]!.waits).toBeGreaterThanOrEqual(1);
		expect(stored[0]!.peakLagMs).toBeGreaterThan(maxLagMs);
		expect(stored[0]!.waitedMs).toBeGreaterThan(0);
		// And the replica, caught up, has every row right too.
		await replica.caughtUp(primary.url);
		const onReplica = await openPostgres(replica.urlFor(database));
		try {
			expect(await wrongRows(onReplica)).toBe(0);
		} finally {
			await onReplica.close();
			await replicaPort.close();
		}
	});

	it('while it waits for the replica, the pause (p) and the batch size (+/-) still take effect', async () => {
		await fresh(5000);
		const plan = compilePlan(readPlanFile(sample), await readCatalog(db)).plan;
		const replicaPort = openReplica(replica.urlFor(database));
		const executor = await Executor.open(db, plan, {batchSize: 100, replicas: [replicaPort], maxLagMs: 200});
		const events: ExecutorEvent[] = [];
		executor.on(event => events.push(event));
		// The dashboard's p: a gate that holds between batches until released. Until then it
		// paces the batches, so the backfill is still going when the lag passes the limit.
		let release: (() => void) | undefined;
		let held: Promise<void> | undefined;
		executor.control.gate = async () => {
			await new Promise(resolve => setTimeout(resolve, 10));
			await held;
		};
		// The backfill's batches: the verify after it reads ranges of pages, sized by rows per page.
		const batchesNow = () => events.filter((event): event is Extract<ExecutorEvent, {type: 'batch'}> => event.type === 'batch' && event.step.kind === 'backfill');
		await replica.pauseReplay();
		const run = executor.run();
		await until(() => events.some(event => event.type === 'replica-lag' && event.throttled), run);
		// p and - while throttled.
		held = new Promise(resolve => (release = resolve));
		Object.assign(executor.control, {batchSize: 250, fixed: true});
		const beforeRelease = batchesNow().length;
		await replica.resumeReplay();
		// Caught up, the throttle lets go, but the pause holds: no batch (beyond one in flight).
		await until(() => events.some(event => event.type === 'replica-lag' && !event.throttled), run);
		await new Promise(resolve => setTimeout(resolve, 300));
		expect(batchesNow().length).toBeLessThanOrEqual(beforeRelease + 1);
		const heldAt = batchesNow().length;
		release!();
		expect((await run).outcome).toBe('complete');
		const after = batchesNow().slice(heldAt);
		expect(after.length).toBeGreaterThan(1);
		for (const batch of after) expect(batch.batchSize).toBe(250);
		expect(await wrongRows(db)).toBe(0);
		await replicaPort.close();
	});

	it('run --replica: lag events in --json, figures in the summary and in status', async () => {
		await fresh(2000);
		const result = await runCli(['run', sample, '--yes', '--json', '--database-url', url, '--replica', replica.urlFor(database), '--max-lag', '5000']);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const events = result.lines.map(line => JSON.parse(line) as Record<string, unknown>);
		const lags = events.filter(event => event.type === 'replica-lag');
		expect(lags.length).toBeGreaterThan(0);
		expect(lags.at(-1)).toMatchObject({maxLagMs: 5000, throttled: false, replicas: [{replica: `127.0.0.1:${new URL(replica.url).port}/${database}`}]});
		const summary = lastJson(result);
		expect(summary).toMatchObject({type: 'summary', phase: 'COMPLETE', replicaLag: [{maxLagMs: 5000, waits: 0, waitedMs: 0}]});
		const status = await runCli(['status', '--json', '--database-url', url]);
		const backfill = (lastJson(status).migrations as Array<{steps: Array<Record<string, unknown>>}>)[0]!.steps.find(step => 'rowsDone' in step);
		expect(backfill).toMatchObject({rowsDone: 2002, replicaLag: {maxLagMs: 5000, waits: 0}});
		const text = await runCli(['status', '--database-url', url]);
		expect(text.stdout).toMatch(/backfill: replica lag peaked at \d+ ms \(limit 5\.0 s\); waited 0 ms in 0 waits/);
	});

	it('without --replica, warns once that the primary streams to replicas nobody throttles for', async () => {
		await fresh(500);
		const result = await runCli(['run', sample, '--yes', '--database-url', url]);
		expect(result.code).toBe(0);
		const warnings = result.stderr.split('\n').filter(line => line.includes('--replica'));
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatch(/^warning: a replica \(.+\) streams from this database/);
	});

	it('refuses, with exit 2 and one line, a --replica that is not one, and --max-lag without a replica', async () => {
		await fresh(100);
		const notReplica = await runCli(['run', sample, '--yes', '--database-url', url, '--replica', url]);
		expect(notReplica.code).toBe(2);
		expect(notReplica.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^zdm-tui: --replica 127\.0\.0\.1:\d+\/replica_lag is not a replica \(pg_is_in_recovery\(\) is false\) — /)]);
		const noReplica = await runCli(['run', sample, '--yes', '--database-url', url, '--max-lag', '500']);
		expect(noReplica.code).toBe(2);
		expect(noReplica.stderr).toMatch(/^zdm-tui: --max-lag needs a replica to measure — add --replica URL/);
		// Nothing changed: no migration was started.
		const {rows} = await db.query<{ready: boolean}>("SELECT to_regclass('zdm.migrations') IS NOT NULL AS ready");
		expect(rows[0]!.ready).toBe(false);
	});
});

/** Wait for a condition, failing at once if the run ends (or fails) first. */
async function until(condition: () => boolean, run: Promise<unknown>) {
	let ended = false;
	void run.then(
		() => (ended = true),
		() => (ended = true),
	);
	while (!condition()) {
		if (ended) throw new Error('the run ended before the condition held');
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}
