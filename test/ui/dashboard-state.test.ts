import {describe, expect, it} from 'vitest';
import {dashboardReducer, historyCap, initialState, type DashboardAction, type DashboardState} from '../../source/ui/state/dashboard-state.js';
import {cellId} from '../../source/ui/state/users-window.js';
import {step, usersWindow} from './support.js';

const ready = (): DashboardState =>
	dashboardReducer(initialState(), {
		type: 'ready',
		database: 'embedded (in memory)',
		plan: {id: 'MIG-001', title: 'Add display_name', phase: 'PENDING'},
		steps: [step(1), step(2), step(3)],
		findings: [],
		history: [],
		batchSize: 1000,
		batchFixed: false,
	});

const run = (state: DashboardState, ...actions: DashboardAction[]) => actions.reduce(dashboardReducer, state);

describe('dashboard reducer', () => {
	it('is loading until the plan is ready, then shows it', () => {
		expect(initialState().loading).toBeTruthy();
		const state = ready();
		expect(state.loading).toBeUndefined();
		expect(state.plan?.phase).toBe('PENDING');
		expect(state.steps.map(each => each.status)).toEqual(['pending', 'pending', 'pending']);
	});

	it('follows a step through started and executed, and the phase', () => {
		let state = run(ready(), {type: 'executor', event: {type: 'phase', phase: 'EXPANDING'}}, {type: 'executor', event: {type: 'step-started', step: step(1, {status: 'running'})}});
		expect(state.plan?.phase).toBe('EXPANDING');
		expect(state.steps[0]!.status).toBe('running');
		state = dashboardReducer(state, {type: 'executor', event: {type: 'step-executed', step: step(1, {status: 'executed', durationMs: 12}), durationMs: 12}});
		expect(state.steps[0]).toMatchObject({status: 'executed', durationMs: 12});
		expect(state.steps[1]!.status).toBe('pending');
	});

	it('does not share step objects with the executor, which mutates its own', () => {
		const executorStep = step(1, {status: 'running'});
		const state = dashboardReducer(ready(), {type: 'executor', event: {type: 'step-started', step: executorStep}});
		executorStep.status = 'executed';
		expect(state.steps[0]!.status).toBe('running');
	});

	it('records a failure with its message, then the rollback marks and phase', () => {
		const state = run(
			ready(),
			{type: 'executor', event: {type: 'step-executed', step: step(1, {status: 'executed'}), durationMs: 1}},
			{type: 'executor', event: {type: 'step-failed', step: step(2, {status: 'failed'}), error: 'injected failure at step 2'}},
			{type: 'executor', event: {type: 'step-rolled-back', step: step(1, {status: 'rolled_back'}), durationMs: 1}},
			{type: 'executor', event: {type: 'phase', phase: 'ROLLED_BACK'}},
		);
		expect(state.steps.map(each => each.status)).toEqual(['rolled_back', 'failed', 'pending']);
		expect(state.error).toContain('step 2 failed: injected failure');
		expect(state.plan?.phase).toBe('ROLLED_BACK');
	});

	it('keeps the backfill progress of the latest batch, and clears it when a new backfill starts', () => {
		const batch = (rowsDone: number): DashboardAction => ({
			type: 'executor',
			event: {type: 'batch', step: step(2), rowsDone, rowsTotal: 1000, rowsPerSecond: 500, etaMs: 2000, batchSize: 250, batchMs: 40, fromKey: null, toKey: String(rowsDone)},
		});
		let state = run(ready(), batch(250), batch(500));
		expect(state.backfill).toEqual({step: 2, rowsDone: 500, rowsTotal: 1000, rowsPerSecond: 500, etaMs: 2000, batchSize: 250});
		state = dashboardReducer(state, {type: 'executor', event: {type: 'step-started', step: step(3, {status: 'running'})}});
		expect(state.backfill?.rowsDone).toBe(500);
		state = dashboardReducer(state, {type: 'executor', event: {type: 'step-started', step: step(2, {status: 'running'})}});
		expect(state.backfill).toBeUndefined();
	});

	it('keeps the newest history entries, newest last, up to its cap', () => {
		let state = ready();
		for (let index = 0; index < historyCap + 5; index++) {
			state = dashboardReducer(state, {type: 'executor', event: {type: 'history', entry: {migrationId: 'MIG-001', phase: 'EXPANDING', message: `entry ${index}`, at: new Date().toISOString()}}});
		}

		expect(state.history).toHaveLength(historyCap);
		expect(state.history.at(-1)!.message).toBe(`entry ${historyCap + 4}`);
		expect(state.history[0]!.message).toBe('entry 5');
	});

	it('highlights the cells a command changed, measured from the window when it started', () => {
		const before = usersWindow(['id', 'username'], [{id: '1', username: 'alice'}, {id: '2', username: 'bob'}]);
		let state = run(ready(), {type: 'users', window: before}, {type: 'baseline'});
		// Expand: a new column appears, empty.
		state = dashboardReducer(state, {type: 'users', window: usersWindow(['id', 'username', 'display_name'], [{id: '1', username: 'alice', display_name: null}, {id: '2', username: 'bob', display_name: null}])});
		expect(state.newColumns).toEqual(['display_name']);
		expect(state.changed.size).toBe(0);
		// Backfill: the values arrive; only those cells changed.
		state = run(state, {type: 'baseline'}, {type: 'users', window: usersWindow(['id', 'username', 'display_name'], [{id: '1', username: 'alice', display_name: 'Alice'}, {id: '2', username: 'bob', display_name: null}])});
		expect([...state.changed]).toEqual([cellId('1', 'display_name')]);
		expect(state.newColumns).toEqual([]);
		// A later refresh of the same command keeps measuring from its start.
		state = dashboardReducer(state, {type: 'users', window: usersWindow(['id', 'username', 'display_name'], [{id: '1', username: 'alice', display_name: 'Alice'}, {id: '2', username: 'bob', display_name: 'Bob'}])});
		expect(new Set(state.changed)).toEqual(new Set([cellId('1', 'display_name'), cellId('2', 'display_name')]));
	});

	it('does not mark rows scrolled into view as changed', () => {
		const state = run(
			ready(),
			{type: 'users', window: usersWindow(['id', 'username'], [{id: '1', username: 'alice'}])},
			{type: 'baseline'},
			{type: 'users', window: usersWindow(['id', 'username'], [{id: '2', username: 'bob'}], '1')},
		);
		expect(state.changed.size).toBe(0);
	});

	it('switches the table between v1\'s and v2\'s view; a view of another schema is not compared with the baseline', () => {
		let state = run(ready(), {type: 'users', window: usersWindow(['id', 'email'], [{id: '1', email: 'a@x'}])}, {type: 'baseline'});
		expect(state.tableVersion).toBe('v1');
		state = dashboardReducer(state, {type: 'switch-view'});
		expect(state.tableVersion).toBe('v2');
		state = dashboardReducer(state, {type: 'users', window: {...usersWindow(['id', 'contact_email'], [{id: '1', contact_email: 'a@x'}]), schema: 'public_MIG-002'}});
		expect(state.newColumns).toEqual([]);
		expect(state.changed.size).toBe(0);
		expect(dashboardReducer(state, {type: 'switch-view'}).tableVersion).toBe('v1');
	});

	it('toggles the SQL view, help, autoplay, pause and the armed failure', () => {
		let state = run(ready(), {type: 'toggle-sql'}, {type: 'toggle-help'}, {type: 'autoplay', on: true}, {type: 'paused', on: true}, {type: 'fail-armed', on: true}, {type: 'batch-size', size: 2000, fixed: true});
		expect(state).toMatchObject({showRollbackSql: true, help: true, autoplay: true, paused: true, failArmed: true, batchSize: 2000, batchFixed: true});
		state = run(state, {type: 'toggle-sql'}, {type: 'toggle-help'});
		expect(state).toMatchObject({showRollbackSql: false, help: false});
		// Starting a step consumes the armed failure.
		state = dashboardReducer(state, {type: 'executor', event: {type: 'step-started', step: step(1, {status: 'running'})}});
		expect(state.failArmed).toBe(false);
	});

	it('names who holds a lock while a step waits, and clears it when the step moves on', () => {
		let state = dashboardReducer(ready(), {type: 'executor', event: {type: 'lock-wait', step: step(1), attempt: 2, waitedMs: 600, blockers: [{pid: 4242, seconds: 3, state: 'idle in transaction', query: 'SELECT * FROM users'}]}});
		expect(state.lockWait).toContain('pid 4242');
		state = dashboardReducer(state, {type: 'executor', event: {type: 'step-executed', step: step(1, {status: 'executed'}), durationMs: 700}});
		expect(state.lockWait).toBeUndefined();
	});
});
