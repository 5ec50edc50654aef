import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {computeLayout} from '../../source/ui/layout.js';
import {Screen, layoutFor} from '../../source/ui/Screen.js';
import {dashboardReducer, initialState, type DashboardState} from '../../source/ui/state/dashboard-state.js';
import {step, usersWindow} from './support.js';

afterEach(() => cleanup());

/** A busy screen: many steps, long SQL, a full table and a long history. */
function busyState(): DashboardState {
	const steps = Array.from({length: 12}, (_, index) => step(index + 1, {status: index < 5 ? 'executed' : 'pending', forward: [Array.from({length: 20}, (_, line) => `SELECT ${line}`).join('\n')]}));
	let state = dashboardReducer(initialState(), {type: 'ready', database: 'embedded (in memory)', plan: {id: 'MIG-001', title: 'A title long enough to be cut on a narrow terminal, for sure', phase: 'MIGRATING'}, steps, findings: [], history: [], batchSize: 1000, batchFixed: false});
	const rows = Array.from({length: 60}, (_, index) => ({id: String(index + 1), username: `user${index + 1}`, email: `user${index + 1}@example.com`}));
	state = dashboardReducer(state, {type: 'users', window: usersWindow(['id', 'username', 'email'], rows)});
	for (let index = 0; index < 50; index++) state = dashboardReducer(state, {type: 'executor', event: {type: 'history', entry: {migrationId: 'MIG-001', phase: 'EXPANDING', message: `entry ${index}`, at: new Date().toISOString()}}});
	return state;
}

describe('layout', () => {
	for (const [columns, rows] of [[80, 24], [100, 30], [60, 16], [120, 50], [80, 12]] as const) {
		it(`keeps the frame shorter than a ${columns}×${rows} terminal and every line within its width`, () => {
			const state = busyState();
			const frame = render(<Screen state={state} layout={layoutFor(state, {columns, rows})} />).lastFrame()!;
			const lines = frame.split('\n');
			expect(lines.length).toBeLessThan(rows);
			for (const line of lines) expect([...line].length).toBeLessThanOrEqual(Math.max(columns, 20));
			expect(frame).toContain('[MIGRATING]');
			expect(frame).toContain('❯ · 6.');
		});
	}

	it('keeps a fresh dashboard (nothing run yet, short table) within a narrow terminal too', () => {
		let state = dashboardReducer(initialState(), {type: 'ready', database: 'embedded (in memory)', plan: {id: 'MIG-001', title: 'Add display_name', phase: 'PENDING'}, steps: [step(1), step(2), step(3)], findings: [], history: [], batchSize: 1000, batchFixed: false});
		state = dashboardReducer(state, {type: 'users', window: usersWindow(['id', 'username'], [{id: '1', username: 'alice'}])});
		for (const [columns, rows] of [[60, 16], [40, 12]] as const) {
			const lines = render(<Screen state={state} layout={layoutFor(state, {columns, rows})} />).lastFrame()!.split('\n');
			expect(lines.length).toBeLessThan(rows);
			for (const line of lines) expect([...line].length).toBeLessThanOrEqual(columns);
		}
	});

	it('fits the traffic panel, verdict and all, within an 80×24 terminal, and hides it on a small one', () => {
		const v = (version: 'v1' | 'v2') => ({version, state: 'live' as const, columns: ['username', 'email'], requests: 900, errors: version === 'v1' ? 12 : 0, lastError: version === 'v1' ? 'column "email" does not exist' : undefined, shed: 0, rps: 20, p50Ms: 2, p99Ms: 30, maxWaitMs: 80});
		let state = dashboardReducer(busyState(), {type: 'traffic', snapshot: {rate: 20, concurrent: false, running: true, tables: ['users'], versions: {v1: v('v1'), v2: v('v2')}, verdict: {zeroDowntime: false, thresholdMs: 1500, reasons: ['v1: 12 errors']}}});
		state = dashboardReducer(state, {type: 'executor', event: {type: 'phase', phase: 'COMPLETE'}});
		const frame = render(<Screen state={state} layout={layoutFor(state, {columns: 80, rows: 24})} />).lastFrame()!;
		expect(frame.split('\n').length).toBeLessThan(24);
		expect(frame).toMatch(/^traffic 20 req\/s each/m);
		expect(frame).toMatch(/^ v1 old LIVE\s+900 req/m);
		expect(frame).toMatch(/^ v2 new LIVE\s+900 req/m);
		expect(frame).toContain('✗ NOT zero downtime: v1: 12 errors');
		for (const line of frame.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
		const help = dashboardReducer(state, {type: 'toggle-help'});
		const withHelp = render(<Screen state={help} layout={layoutFor(help, {columns: 80, rows: 24})} />).lastFrame()!;
		expect(withHelp).toContain('keys (? closes)');
		expect(withHelp.split('\n').length).toBeLessThan(24);
		const small = render(<Screen state={state} layout={layoutFor(state, {columns: 60, rows: 14})} />).lastFrame()!;
		expect(small.split('\n').length).toBeLessThan(14);
		expect(small).not.toContain('v1 old');
	});

	it('gives a taller terminal more table rows and more history', () => {
		const small = computeLayout(24, 80, {steps: 6, sql: 3});
		const tall = computeLayout(50, 80, {steps: 6, sql: 3});
		expect(tall.table).toBeGreaterThan(small.table);
		expect(tall.feed).toBeGreaterThan(small.feed);
		expect(small.table).toBeGreaterThanOrEqual(3);
		expect(small.feed).toBeGreaterThanOrEqual(2);
	});

	it('shows the help overlay in place of the lower panels, within the same height', () => {
		const state = dashboardReducer(busyState(), {type: 'toggle-help'});
		const frame = render(<Screen state={state} layout={layoutFor(state, {columns: 80, rows: 24})} />).lastFrame()!;
		expect(frame).toContain('keys (? closes)');
		expect(frame.split('\n').length).toBeLessThan(24);
	});
});
