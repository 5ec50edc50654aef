import {render} from 'ink-testing-library';
import {describe, expect, it} from 'vitest';
import type {TrafficSnapshot, VersionMetrics} from '../../source/traffic/index.js';
import {verdictOf} from '../../source/traffic/metrics.js';
import {TrafficPanel} from '../../source/ui/components/TrafficPanel.js';

const version = (over: Partial<VersionMetrics> & Pick<VersionMetrics, 'version'>): VersionMetrics => ({
	state: 'live',
	columns: ['username', 'email'],
	requests: 120,
	errors: 0,
	shed: 0,
	rps: 49.5,
	p50Ms: 1.25,
	p99Ms: 14,
	maxWaitMs: 212,
	...over,
});

function snapshot(v1: VersionMetrics, v2: VersionMetrics): TrafficSnapshot {
	return {rate: 50, concurrent: false, running: true, tables: ['users'], versions: {v1, v2}, verdict: verdictOf([v1, v2], 1500)};
}

describe('TrafficPanel', () => {
	it('shows each version with its state, counts, latency and columns', () => {
		const {lastFrame} = render(<TrafficPanel snapshot={snapshot(version({version: 'v1'}), version({version: 'v2', state: 'waiting', requests: 0, rps: 0, columns: ['username', 'contact_email']}))} />);
		const frame = lastFrame()!;
		expect(frame).toContain('50 req/s each · interleaved with the migration');
		expect(frame).toMatch(/v1 old LIVE\s+120 req\s+49\.5\/s\s+0 err p50 1\.3 p99 14 max 212 ms username, email\n/);
		expect(frame).toMatch(/v2 new WAITING\s+0 req\s+0\.0\/s\s+0 err p50 – p99 – max – username, contact_email$/);
		expect(frame).not.toContain('zero downtime');
	});

	it("shows v1's errors after contract and the verdict that follows from them", () => {
		const v1 = version({version: 'v1', errors: 37, lastError: '42703 column "email" of relation "users" does not exist'});
		const {lastFrame} = render(<TrafficPanel showVerdict snapshot={snapshot(v1, version({version: 'v2'}))} />);
		const frame = lastFrame()!;
		expect(frame).toContain('v1: 42703 column "email" of relation "users" does not exist');
		expect(frame).toContain('✗ NOT zero downtime: v1: 37 errors');
	});

	it('shows zero downtime when no request failed or waited too long', () => {
		const {lastFrame} = render(<TrafficPanel showVerdict snapshot={snapshot(version({version: 'v1', state: 'retired'}), version({version: 'v2'}))} />);
		expect(lastFrame()).toContain('✔ zero downtime: no errors, longest wait under 1500 ms');
	});
});
