import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {seedUsers} from '../../source/db/seed.js';
import {prepareTraffic, type Traffic, type TrafficSnapshot} from '../../source/traffic/index.js';
import {backends, openBackend} from '../support/databases.js';
import {resetMigrations} from '../support/reset.js';

/** Wait for the traffic to reach a state, rather than sleeping a fixed time. */
async function until(traffic: Traffic, what: string, reached: (snapshot: TrafficSnapshot) => boolean, timeoutMs = 20_000) {
	const started = Date.now();
	while (!reached(traffic.getSnapshot())) {
		if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(traffic.getSnapshot().versions)}`);
		await new Promise(resolve => setTimeout(resolve, 25));
	}
}

async function prepare(db: Database, path: string, rows: number) {
	await resetMigrations(db);
	await seedUsers(db, {rows, force: true});
	const file = readPlanFile(path);
	const {plan} = compilePlan(file, await readCatalog(db));
	// A generous threshold: these tests are about errors; waits are the benchmark's to measure.
	const traffic = await prepareTraffic(db, file, plan, {rate: 100, thresholdMs: 30_000, publishMs: 20});
	const executor = await Executor.open(db, plan, {batchSize: 100});
	return {traffic, executor};
}

describe.each(backends())('live traffic during a migration, on %s', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 10));
	});
	afterAll(async () => close());

	it("a second run's writes never collide with the first's on a UNIQUE column", async () => {
		await resetMigrations(db);
		await seedUsers(db, {rows: 0, force: true});
		await db.query('CREATE UNIQUE INDEX users_email_key ON users (email)');
		const file = readPlanFile('samples/rename-email.yaml');
		const {plan} = compilePlan(file, await readCatalog(db));
		for (const run of [1, 2]) {
			const v1 = (await prepareTraffic(db, file, plan, {rate: 1})).version('v1');
			await v1.insert(db, v1.tables[0]!, 1);
			await v1.update(db, v1.tables[0]!, String(run), 2);
		}

		const {rows} = await db.query<{rows: number; emails: number}>('SELECT count(*)::int AS rows, count(DISTINCT email)::int AS emails FROM users');
		expect(rows[0]).toEqual({rows: 4, emails: 4});
		expect((await db.query("SELECT 1 FROM users WHERE email IN ('alice@example.com', 'bob@example.com')")).rows).toHaveLength(0);
	});

	it('a failing step retires v2 before its version schema is rolled back, and v1 goes on unharmed', async () => {
		await resetMigrations(db);
		await seedUsers(db, {rows: 500, force: true});
		const file = readPlanFile('samples/change-email-type.json');
		const {plan} = compilePlan(file, await readCatalog(db));
		const traffic = await prepareTraffic(db, file, plan, {rate: 100, thresholdMs: 30_000, publishMs: 20});
		const executor = await Executor.open(db, plan, {batchSize: 100, failAt: 4});
		traffic.start();
		const stop = traffic.follow(executor, {retireBeforeContract: true});
		try {
			while (executor.next?.phase === 'EXPANDING') expect((await executor.step()).outcome).toBe('executed');
			await until(traffic, 'v2 to send requests', s => s.versions.v2.requests >= 10);
			expect((await executor.step()).outcome).toBe('rolled-back');
			expect(traffic.getSnapshot().versions.v2.state).toBe('retired');
			const before = traffic.getSnapshot().versions.v1.requests;
			await until(traffic, 'v1 to go on after the rollback', s => s.versions.v1.requests >= before + 10);
		} finally {
			stop();
		}

		const final = await traffic.stop();
		expect(final.versions.v1.errors).toBe(0);
		expect(final.versions.v2.errors).toBe(0);
	});

	it('contracting while v1 is still live makes v1 fail: contract removes what it needs', async () => {
		const {traffic, executor} = await prepare(db, 'samples/rename-email.yaml', 500);
		traffic.start();
		const stop = traffic.follow(executor, {retireBeforeContract: false});
		try {
			while (executor.next?.phase !== 'CONTRACTING') expect((await executor.step()).outcome).toBe('executed');
			await until(traffic, 'both versions to send requests', s => s.versions.v1.requests >= 10 && s.versions.v2.requests >= 10);
			expect(traffic.getSnapshot().versions.v1.errors).toBe(0);
			expect((await executor.run()).outcome).toBe('complete');
			await until(traffic, 'v1 errors to rise', s => s.versions.v1.errors >= 5);
		} finally {
			stop();
		}

		const final = await traffic.stop();
		expect(final.versions.v1.lastError).toMatch(/^42703 .*"email"/);
		expect(final.versions.v2.errors).toBe(0);
		expect(final.verdict.zeroDowntime).toBe(false);
		expect(final.verdict.reasons.join(' ')).toMatch(/^v1: \d+ errors/);
	});

	it('with v1 retired before contract, both versions run error-free through a backfill and a type change, v2 under its final names throughout', async () => {
		const {traffic, executor} = await prepare(db, 'samples/change-email-type.json', 5000);
		const seen: TrafficSnapshot[] = [];
		const unsubscribe = traffic.subscribe(() => seen.push(traffic.getSnapshot()));
		traffic.start();
		const stop = traffic.follow(executor, {retireBeforeContract: true});
		// v2 is never held nor switched while contract swaps the shadow column in: its view follows.
		const duringFinal: string[] = [];
		const watch = executor.on(event => {
			if ((event.type === 'step-started' || event.type === 'step-executed') && event.step.final) {
				const {v2} = traffic.getSnapshot().versions;
				duringFinal.push(`${event.type}: ${v2.state} ${v2.columns.join(',')}`);
			}
		});
		try {
			await until(traffic, 'v1 to send requests', s => s.versions.v1.requests >= 5);
			expect(traffic.getSnapshot().versions.v2.state).toBe('waiting');
			while (executor.next?.phase !== 'CONTRACTING') expect((await executor.step()).outcome).toBe('executed');
			await until(traffic, 'v2 to send requests', s => s.versions.v2.requests >= 10);
			// Every row, including those both versions wrote while the backfill ran, is in sync.
			const shadow = executor.plan.steps.find(step => step.backfill)!.backfill!.column;
			const {rows} = await db.query<{stale: number}>(`SELECT count(*)::int AS stale FROM users WHERE "${shadow}" IS DISTINCT FROM lower(left(email, 320)) OR email IS NULL`);
			expect(rows[0]!.stale).toBe(0);

			expect((await executor.run()).outcome).toBe('complete');
			expect(traffic.getSnapshot().versions.v1.state).toBe('retired');
			expect(duringFinal).toEqual(['step-started: live username,email', 'step-executed: live username,email']);
			const afterContract = traffic.getSnapshot().versions.v2.requests;
			await until(traffic, 'v2 to go on after contract under the final names', s => s.versions.v2.requests >= afterContract + 10);
			expect(traffic.getSnapshot().versions.v2.columns).toEqual(['username', 'email']);
		} finally {
			stop();
			watch();
			unsubscribe();
		}

		const final = await traffic.stop();
		expect(final.running).toBe(false);
		expect(traffic.getSnapshot()).toBe(final);
		expect(final.versions.v1.errors).toBe(0);
		expect(final.versions.v2.errors).toBe(0);
		expect(final.versions.v1.requests).toBeGreaterThan(0);
		expect(final.versions.v2.p99Ms).toBeGreaterThanOrEqual(final.versions.v2.p50Ms);
		expect(final.versions.v2.maxWaitMs).toBeGreaterThanOrEqual(final.versions.v2.p99Ms);
		expect(final.verdict).toEqual({zeroDowntime: true, thresholdMs: 30_000, reasons: []});
		// Subscribers saw the versions' lives unfold: v2 waiting, then live; v1 live, then retired.
		expect(seen.some(s => s.versions.v2.state === 'waiting' && s.versions.v1.state === 'live')).toBe(true);
		expect(seen.some(s => s.versions.v2.state === 'live' && s.versions.v1.state === 'retired')).toBe(true);
	});
});
