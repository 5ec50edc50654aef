import {cleanup, render} from 'ink-testing-library';
import stripAnsi from 'strip-ansi';
import {afterEach, describe, expect, it} from 'vitest';
import type {ExecutorEvent} from '../../source/core/events.js';
import {ProgressBar} from '../../source/ui/components/ProgressBar.js';
import {dashboardReducer, initialState, type DashboardAction, type DashboardState} from '../../source/ui/state/dashboard-state.js';
import {step} from './support.js';

afterEach(() => cleanup());

const lag = (throttled: boolean, lagMs?: number): DashboardAction => ({
	type: 'executor',
	event: {type: 'replica-lag', step: step(3, {kind: 'backfill'}), replicas: [{replica: '127.0.0.1:5433/app', ...(lagMs === undefined ? {error: 'timeout'} : {lagMs})}], maxLagMs: 1000, throttled, waitedMs: 0} satisfies ExecutorEvent,
});

const line = (state: DashboardState) =>
	stripAnsi(render(<ProgressBar executed={2} total={6} backfill={state.backfill} batchSize={state.batchSize} batchFixed={state.batchFixed} paused={state.paused} throttled={state.throttled} width={120} />).lastFrame() ?? '');

describe('the backfill line while a replica lags', () => {
	it('says "throttled: replica lag 2.3 s" while the backfill waits, and nothing once it goes on', () => {
		let state = dashboardReducer(initialState(), lag(true, 2345));
		expect(line(state)).toMatch(/backfill throttled: replica lag 2\.3 s/);
		state = dashboardReducer(state, lag(false, 400));
		expect(line(state)).not.toContain('throttled');
	});

	it('names a replica it cannot read', () => {
		expect(line(dashboardReducer(initialState(), lag(true)))).toContain('throttled: replica 127.0.0.1:5433/app unreadable');
	});

	it('shows a pause and a batch size set by hand while throttled', () => {
		const actions: DashboardAction[] = [lag(true, 1500), {type: 'paused', on: true}, {type: 'batch-size', size: 250, fixed: true}];
		const state = actions.reduce(dashboardReducer, initialState());
		expect(line(state)).toMatch(/PAUSED throttled: replica lag 1\.5 s · .*batch 250 fixed/);
	});
});
