import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import type {ExecutorEvent} from '../../source/core/events.js';
import {Executor, type ExecutorOptions} from '../../source/core/executor.js';
import {parsePlanText, readPlanFile} from '../../source/core/plan-file.js';
import type {Plan} from '../../source/core/plan.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openReplica} from '../../source/db/replica.js';
import {throttleFigures} from '../../source/db/replica-lag-state.js';
import {canReplicate, type PgReplica} from '../support/pg-replica.js';
import {findPgBin, type PgServer} from '../support/pg-server.js';
import {freshUsers, startReplicated} from '../support/replicated.js';

/**
 * What the backfill does with its replica throttle (backfill.ts): waits while a replica lags, its
 * figures stored for `status`, the warning when replicas stream and nobody throttles for them.
 * The throttle's own measurement is replica-lag.test.ts'. WHY a file of its own? These tests run
 * in the mutation run (vitest.mutation.config.ts), which leaves out replica-lag.test.ts' CLI
 * tests: each mutant of backfill.ts reruns them, so they start one replica and spawn nothing.
 */
const replicable = Boolean(findPgBin()) && canReplicate();
if (!replicable) console.warn('\n!!! No PostgreSQL server binaries with pg_basebackup: the backfill replica tests are SKIPPED. Install the postgresql package. !!!\n');

type BatchEvent = Extract<ExecutorEvent, {type: 'batch'}>;
type LagEvent = Extract<ExecutorEvent, {type: 'replica-lag'}>;

const sleep = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

// A primary of its own: a replica of the shared test server would make every other file's backfill warn.
describe.skipIf(!replicable)('the backfill with a streaming replica, as it waits and keeps the figures', () => {
	let primary: PgServer;
	let replica: PgReplica;
	let db: Database;
	const database = 'backfill_replicas';
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

	const compile = async () => compilePlan(readPlanFile('samples/add-display-name.yaml'), await readCatalog(db)).plan;
	const backfillOf = (plan: Plan) => plan.steps.find(step => step.kind === 'backfill')!;

	/** Open the plan, with every event kept and the backfill's batches counted. */
	async function observed(plan: Plan, options: ExecutorOptions) {
		const executor = await Executor.open(db, plan, options);
		const events: ExecutorEvent[] = [];
		const batches: BatchEvent[] = [];
		executor.on(event => {
			events.push(event);
			if (event.type === 'batch' && event.step.kind === 'backfill') batches.push(event);
		});
		return {executor, events, batches};
	}

	const maxLagMs = 100;
	/**
	 * Once replay is paused, each batch waits out twice the limit first: the WAL the batch before
	 * wrote is then older than the limit when the throttle looks, wherever the machine's speed.
	 */
	const laggingGate = (lagging: () => boolean) => async () => {
		if (lagging()) await sleep(2 * maxLagMs);
	};

	it('waits each time a replica falls behind, and stores every wait once for status', async () => {
		await fresh(4000);
		const plan = await compile();
		const port = openReplica(replica.urlFor(database));
		const {executor, events, batches} = await observed(plan, {batchSize: 50, backfillWorkers: 1, replicas: [port], maxLagMs});
		let pauses = 0;
		let lagging = false;
		let resuming: Promise<void> | undefined;
		executor.on(event => {
			// The backfill waits: let the replica catch up.
			if (event.type === 'replica-lag' && event.throttled && lagging) {
				lagging = false;
				resuming = replica.resumeReplay();
			}
		});
		const wait = laggingGate(() => lagging);
		// Replay stops twice: at the third batch and at the tenth.
		executor.control.gate = async () => {
			await resuming;
			if ((batches.length >= 3 && pauses === 0) || (batches.length >= 10 && pauses === 1)) {
				pauses++;
				await replica.pauseReplay();
				lagging = true;
			}

			await wait();
		};
		try {
			expect((await executor.run()).outcome).toBe('complete');
		} finally {
			await resuming;
			await port.close();
		}

		expect(pauses).toBe(2);
		const lags = events.filter((event): event is LagEvent => event.type === 'replica-lag');
		expect(lags.filter(event => event.throttled).length).toBeGreaterThanOrEqual(2);
		for (const lag of lags) expect(lag.step.number).toBe(backfillOf(plan).number);
		// The closing report comes after the last batch, not waiting any more, with every wait in it.
		const last = lags.at(-1)!;
		expect(events.indexOf(last)).toBeGreaterThan(events.indexOf(batches.at(-1)!));
		expect(last).toMatchObject({throttled: false, maxLagMs, replicas: [{replica: port.label}]});
		const stored = await throttleFigures(db, plan.id);
		expect([...stored.keys()]).toEqual([backfillOf(plan).number]);
		const figures = stored.get(backfillOf(plan).number)!;
		// Each save adds what happened since the one before: every wait once (a loaded machine's
		// replica may fall behind once more by itself), and their time once.
		const waits = lags.filter((event, index) => event.throttled && !lags[index - 1]?.throttled).length;
		expect(waits).toBeGreaterThanOrEqual(2);
		expect(figures).toMatchObject({maxLagMs, waits});
		expect(figures.peakLagMs).toBeGreaterThan(maxLagMs);
		expect(last.waitedMs).toBeGreaterThan(0);
		// Stored in whole milliseconds, once per wait and once at the end.
		expect(Math.abs(figures.waitedMs - last.waitedMs)).toBeLessThanOrEqual(2);
	});

	it('an interruption while it waits for a replica stops the backfill there, with the wait stored', async () => {
		await fresh(3000);
		const plan = await compile();
		const port = openReplica(replica.urlFor(database));
		const controller = new AbortController();
		const {executor, events, batches} = await observed(plan, {batchSize: 50, backfillWorkers: 1, replicas: [port], maxLagMs, signal: controller.signal});
		let lagging = false;
		let batchesWhenThrottled: number | undefined;
		executor.on(event => {
			if (event.type === 'replica-lag' && event.throttled && batchesWhenThrottled === undefined) {
				batchesWhenThrottled = batches.length;
				controller.abort();
			}
		});
		const wait = laggingGate(() => lagging);
		executor.control.gate = async () => {
			if (batches.length >= 3 && !lagging) {
				await replica.pauseReplay();
				lagging = true;
			}

			await wait();
		};
		try {
			await expect(executor.run()).rejects.toThrow(/^interrupted during the backfill of step \d+; its finished batches are saved/);
		} finally {
			await replica.resumeReplay();
			await port.close();
		}

		expect(batchesWhenThrottled).toBeDefined();
		// Not one batch after the throttle held it.
		expect(batches.length).toBe(batchesWhenThrottled);
		expect(events.some(event => event.type === 'replica-lag' && event.throttled)).toBe(true);
		expect((await throttleFigures(db, plan.id)).get(backfillOf(plan).number)).toMatchObject({maxLagMs, waits: 1});
	});

	it('stores the figures of a backfill that never had to wait, and reports them once more at the end', async () => {
		await fresh(500);
		const plan = await compile();
		const port = openReplica(replica.urlFor(database));
		const {executor, events, batches} = await observed(plan, {batchSize: 100, replicas: [port], maxLagMs: 60_000});
		try {
			expect((await executor.run()).outcome).toBe('complete');
		} finally {
			await port.close();
		}

		expect(batches.length).toBeGreaterThan(1);
		const last = events.findLast(event => event.type === 'replica-lag');
		expect(events.indexOf(last!)).toBeGreaterThan(events.indexOf(batches.at(-1)!));
		expect(last).toMatchObject({throttled: false, waitedMs: 0, step: {number: backfillOf(plan).number}});
		expect((await throttleFigures(db, plan.id)).get(backfillOf(plan).number)).toMatchObject({maxLagMs: 60_000, waits: 0, waitedMs: 0});
	});

	it('without replicas to throttle for, warns once per run that one streams, and stores no figures', async () => {
		await fresh(500);
		// Two backfills in one run: the warning comes with the first only.
		const twoBackfills = parsePlanText(
			JSON.stringify({
				id: 'TWO-BACKFILLS',
				title: 'Two columns, each backfilled',
				operations: [
					{add_column: {table: 'users', column: {name: 'display_name', type: 'text', nullable: true}, up: 'initcap(username)'}},
					{add_column: {table: 'users', column: {name: 'handle', type: 'text', nullable: true}, up: 'lower(username)'}},
				],
			}),
			'two-backfills.json',
		);
		const plan = compilePlan(twoBackfills, await readCatalog(db)).plan;
		const backfills = plan.steps.filter(step => step.kind === 'backfill');
		expect(backfills).toHaveLength(2);
		const {executor, events, batches} = await observed(plan, {batchSize: 100});
		expect((await executor.run()).outcome).toBe('complete');
		expect(new Set(batches.map(batch => batch.step.number))).toEqual(new Set(backfills.map(step => step.number)));
		const warnings = events.filter(event => event.type === 'replicas-unthrottled');
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatchObject({step: {number: backfills[0]!.number}, replicas: [expect.stringMatching(/\S/)]});
		expect(events.filter(event => event.type === 'replica-lag')).toEqual([]);
		expect((await throttleFigures(db, plan.id)).size).toBe(0);
	});
});
