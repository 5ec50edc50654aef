import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {openPostgres} from '../../source/db/postgres.js';
import {seedUsers} from '../../source/db/seed.js';
import {runCli, lastJson} from '../support/cli.js';
import {createServerDatabase, serverUrl} from '../support/databases.js';

interface VersionFigures {
	requests: number;
	rps: number;
	errors: number;
	lastError?: string;
	p50Ms: number;
	p99Ms: number;
	maxWaitMs: number;
	state: string;
}

interface TrafficFigures {
	rate: number;
	concurrent: boolean;
	v1: VersionFigures;
	v2: VersionFigures;
	zeroDowntime: boolean;
	thresholdMs: number;
	reasons?: string[];
}

function checkFigures(traffic: TrafficFigures) {
	for (const v of [traffic.v1, traffic.v2]) {
		expect(v.errors).toBe(0);
		expect(v.p50Ms).toBeLessThanOrEqual(v.p99Ms);
		expect(v.p99Ms).toBeLessThanOrEqual(v.maxWaitMs);
	}

	// The verdict follows from the figures: no errors, so only a long wait can spoil it.
	const slow = Math.max(traffic.v1.maxWaitMs, traffic.v2.maxWaitMs) > traffic.thresholdMs;
	expect(traffic.zeroDowntime).toBe(!slow);
	// v1 answers before the first step, v2 once expand is done; run retires v1 itself before contract.
	expect(traffic.v1.state).toBe('retired');
	expect(traffic.v1.requests).toBeGreaterThan(0);
	expect(traffic.v2.requests).toBeGreaterThan(0);
}

describe('zdm-tui run --traffic', () => {
	it('adds the traffic figures and the verdict to the --json summary (embedded)', async () => {
		const result = await runCli(['run', 'samples/rename-email.yaml', '--rows', '2000', '--yes', '--json', '--traffic', '200', '--lock-timeout', '700']);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const summary = lastJson(result);
		expect(summary).toMatchObject({type: 'summary', phase: 'COMPLETE', traffic: {rate: 200, concurrent: false, thresholdMs: 1700}});
		checkFigures(summary.traffic as TrafficFigures);
	});

	it('prints a short human summary without --json', async () => {
		const result = await runCli(['run', 'samples/add-display-name.yaml', '--rows', '500', '--yes', '--traffic', '50']);
		expect(result.code).toBe(0);
		const at = result.lines.findIndex(line => line.startsWith('traffic (50 requests/s per version, interleaved'));
		expect(at).toBeGreaterThan(0);
		expect(result.lines[at + 1]).toMatch(/^ {2}v1: \d+ requests \([\d.]+\/s\), 0 errors, p50 [\d.]+ ms, p99 [\d.]+ ms, longest wait [\d.]+ ms, retired$/);
		expect(result.lines[at + 3]).toMatch(/^ {2}(zero downtime: no errors, longest wait under 1500 ms|NOT zero downtime: .*waited)/);
	});

	it('--wait-threshold sets the verdict\'s bound on the longest wait', async () => {
		// 1 ms: no run on a real machine answers every request that fast, so the verdict must say NOT.
		const strict = await runCli(['run', 'samples/add-display-name.yaml', '--rows', '500', '--yes', '--json', '--traffic', '50', '--wait-threshold', '1']);
		expect(strict.code).toBe(0);
		const traffic = lastJson(strict).traffic as TrafficFigures;
		expect(traffic).toMatchObject({thresholdMs: 1, zeroDowntime: false});
		const bad = await runCli(['run', 'samples/add-display-name.yaml', '--rows', '5', '--yes', '--traffic', '50', '--wait-threshold', '0']);
		expect(bad.code).toBe(2);
		expect(bad.stderr).toMatch(/^zdm-tui: --wait-threshold must be a whole number from 1 to 3600000, got 0\b/);
	});

	it('refuses a bad rate, and --traffic where no plan runs, in one line with exit 2', async () => {
		const huge = await runCli(['run', 'samples/rename-email.yaml', '--rows', '5', '--yes', '--traffic', '20000']);
		expect(huge.code).toBe(2);
		expect(huge.stderr).toMatch(/^zdm-tui: --traffic must be a whole number from 0 to 10000, got 20000\b.*--traffic 1\n$/);
		// 0 means off: the run goes on without a simulated application.
		const off = await runCli(['run', 'samples/rename-email.yaml', '--rows', '5', '--yes', '--json', '--traffic', '0']);
		expect(off.code).toBe(0);
		expect(JSON.parse(off.lines.at(-1)!)).not.toHaveProperty('traffic');
		const complete = await runCli(['complete', 'MIG-002', '--rows', '5', '--yes', '--traffic', '10']);
		expect(complete.code).toBe(2);
		expect(complete.stderr).toMatch(/^zdm-tui: --traffic works with run and start, not complete .*\n$/);
	});
});

describe.runIf(serverUrl())('zdm-tui run --traffic against a server', () => {
	let url: string;
	let drop: () => Promise<void>;
	beforeAll(async () => {
		({url, drop} = await createServerDatabase());
		const db = await openPostgres(url);
		await seedUsers(db, {rows: 5000});
		await db.close();
	});
	afterAll(async () => drop());

	it('runs both versions on their own connections, and retires v1 before the drop', async () => {
		const result = await runCli(['run', 'samples/drop-email.yaml', '--yes', '--json', '--traffic', '100', '--database-url', url]);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const summary = lastJson(result);
		expect(summary).toMatchObject({phase: 'COMPLETE', traffic: {rate: 100, concurrent: true, thresholdMs: 1500}});
		checkFigures(summary.traffic as TrafficFigures);
	});
});
