import type {ExecutorEvent} from '../../core/events.js';
import type {Finding} from '../../core/lint/index.js';
import type {MigrationPhase} from '../../core/phase.js';
import type {Step} from '../../core/plan.js';
import type {HistoryEntry} from '../../db/state.js';
import type {TrafficSnapshot, VersionName} from '../../traffic/index.js';
import {followTable, movedTable, type PlanTable} from './plan-tables.js';
import {changedCells, type UsersWindow} from './users-window.js';
import type {ReleaseView} from './release.js';

export interface BackfillProgress {
	step: number;
	rowsDone: number;
	rowsTotal: number;
	rowsPerSecond: number;
	etaMs: number;
	batchSize: number;
	/** The migration rolled back since: these rows were filled, then undone with the column. */
	undone?: boolean;
	/** A verify step reads the rows rather than filling them. */
	verify?: boolean;
}

export interface DashboardState {
	/** What is happening while the dashboard is not ready yet (spinner text). */
	loading?: string;
	database: string;
	plan?: {id: string; title: string; phase: MigrationPhase};
	steps: Step[];
	findings: Finding[];
	/** A command (step, rollback) is running now. */
	busy: boolean;
	/** Commands waiting for the running one (keys are queued, never run two steps at once). */
	queued: number;
	backfill?: BackfillProgress;
	history: HistoryEntry[];
	/** The schema each application version uses: the table panel shows the table as one of them sees it. */
	versions?: Record<VersionName, string>;
	/** Whose view of the table the panel shows (tab switches). */
	tableVersion: VersionName;
	/** The tables the plan touches; the panel shows tables[tableIndex] (`[` / `]` move). */
	tables: PlanTable[];
	tableIndex: number;
	/** The step whose table the panel last moved to, and whether it was running (see followTable). */
	followedStep?: string;
	users?: UsersWindow;
	/** The window as it was when the last step started: what "changed" is measured against. */
	baseline?: UsersWindow;
	changed: Set<string>;
	newColumns: string[];
	lockWait?: string;
	/** The backfill waits for a replica's lag: what the backfill line says, e.g. "replica lag 2.3 s". */
	throttled?: string;
	error?: string;
	notice?: string;
	autoplay: boolean;
	paused: boolean;
	failArmed: boolean;
	batchSize?: number;
	batchFixed: boolean;
	showRollbackSql: boolean;
	help: boolean;
	quitting: boolean;
	/** The simulated v1 / v2 applications' figures (none with --traffic 0). */
	traffic?: TrafficSnapshot;
	/** A migrations directory opened as a release (#11): its migrations, one open at a time. */
	release?: ReleaseView;
}

export type DashboardAction =
	| {type: 'loading'; what: string}
	| {type: 'ready'; database: string; plan: {id: string; title: string; phase: MigrationPhase}; steps: Step[]; findings: Finding[]; history: HistoryEntry[]; batchSize: number; batchFixed: boolean; versions?: Record<VersionName, string>; tables?: PlanTable[]; release?: ReleaseView}
	| {type: 'executor'; event: ExecutorEvent}
	| {type: 'users'; window: UsersWindow}
	| {type: 'queue'; busy: boolean; queued: number}
	/** A command starts: what it changes in the table is measured from the window as it is now. */
	| {type: 'baseline'}
	| {type: 'error'; message: string}
	| {type: 'notice'; message?: string}
	| {type: 'autoplay'; on: boolean}
	| {type: 'paused'; on: boolean}
	| {type: 'fail-armed'; on: boolean}
	| {type: 'batch-size'; size: number; fixed: boolean}
	| {type: 'toggle-sql'}
	/** The table panel switches to the other version's view of the table. */
	| {type: 'switch-view'}
	/** The table panel shows the previous (-1) or next (+1) of the plan's tables. */
	| {type: 'switch-table'; by: number}
	| {type: 'toggle-help'; on?: boolean}
	| {type: 'traffic'; snapshot: TrafficSnapshot}
	| {type: 'quitting'};

export const initialState = (autoplay = false): DashboardState => ({
	loading: 'Starting…',
	database: '',
	steps: [],
	findings: [],
	queued: 0,
	busy: false,
	history: [],
	changed: new Set(),
	newColumns: [],
	tableVersion: 'v1',
	tables: [],
	tableIndex: 0,
	autoplay,
	paused: false,
	failArmed: false,
	batchFixed: false,
	showRollbackSql: false,
	help: false,
	quitting: false,
});

/** The feed keeps this many entries; the screen shows the newest that fit. */
export const historyCap = 200;

const withStep = (steps: Step[], step: Step) => steps.map(each => (each.number === step.number ? {...step} : each));

function reduceEvent(state: DashboardState, event: ExecutorEvent): DashboardState {
	switch (event.type) {
		case 'phase': {
			if (!state.plan) return state;
			const undone = event.phase === 'ROLLED_BACK' && state.backfill ? {backfill: {...state.backfill, undone: true}} : {};
			return {...state, plan: {...state.plan, phase: event.phase}, ...undone};
		}

		case 'step-started': {
			// What the step changes is measured from here.
			return {...state, steps: withStep(state.steps, event.step), lockWait: undefined, error: undefined, failArmed: false, backfill: event.step.kind === 'backfill' ? undefined : state.backfill};
		}

		case 'step-executed': {
			return {...state, steps: withStep(state.steps, event.step), lockWait: undefined, throttled: undefined};
		}

		case 'step-failed': {
			return {...state, steps: withStep(state.steps, event.step), error: `step ${event.step.number} failed: ${event.error}`, lockWait: undefined};
		}

		case 'step-rolled-back': {
			return {...state, steps: withStep(state.steps, event.step)};
		}

		case 'batch': {
			const {rowsDone, rowsTotal, rowsPerSecond, etaMs, batchSize} = event;
			return {...state, backfill: {step: event.step.number, rowsDone, rowsTotal, rowsPerSecond, etaMs, batchSize, ...(event.step.kind === 'verify' ? {verify: true} : {})}, batchSize, lockWait: undefined};
		}

		case 'lock-wait': {
			const who = event.blockers[0];
			return {...state, lockWait: `waiting for a lock on step ${event.step.number} (attempt ${event.attempt})${who ? `: pid ${who.pid} holds it (${who.query})` : ''}`};
		}

		case 'history': {
			return {...state, history: [...state.history, event.entry].slice(-historyCap)};
		}

		case 'replica-lag': {
			return {...state, throttled: event.throttled ? throttledText(event.replicas) : undefined};
		}

		case 'replicas-unthrottled': {
			return {...state, notice: `replicas attached (${event.replicas.join(', ')}) but not throttled for: give --replica URL to keep them within --max-lag`};
		}

		case 'autovacuum-cancelled': {
			return {...state, notice: autovacuumText(event.table, event.step.number)};
		}
	}
}

const autovacuumText = (table: string, step: number) => `cancelled autovacuum on ${table} before step ${step}: it held a lock the step needs, and runs again later`;

/** The worst replica: "replica lag 2.3 s", or why it cannot be read. */
function throttledText(replicas: Array<{replica: string; lagMs?: number; error?: string}>): string {
	const unreadable = replicas.find(replica => replica.lagMs === undefined);
	if (unreadable) return `replica ${unreadable.replica} unreadable`;
	const worst = Math.max(0, ...replicas.map(replica => replica.lagMs ?? 0));
	return `replica lag ${(worst / 1000).toFixed(1)} s`;
}

export function dashboardReducer(state: DashboardState, action: DashboardAction): DashboardState {
	return followTable(reduce(state, action));
}

function reduce(state: DashboardState, action: DashboardAction): DashboardState {
	switch (action.type) {
		case 'loading': {
			return {...state, loading: action.what};
		}

		case 'ready': {
			const {type: _type, ...ready} = action;
			// A fresh run's steps are numbered from 1 again: the panel follows its first step anew.
			return {...state, ...ready, tables: ready.tables ?? state.tables, loading: undefined, backfill: undefined, error: undefined, followedStep: undefined};
		}

		case 'executor': {
			return reduceEvent(state, action.event);
		}

		case 'users': {
			// A rollback at PENDING or a fresh start has no baseline: the first window is it.
			const baseline = state.baseline ?? action.window;
			const {cells, newColumns} = changedCells(baseline, action.window);
			return {...state, users: action.window, baseline, changed: cells, newColumns};
		}

		case 'queue': {
			return {...state, busy: action.busy, queued: action.queued};
		}

		case 'baseline': {
			return {...state, baseline: state.users, changed: new Set(), newColumns: []};
		}

		case 'error': {
			return {...state, error: action.message};
		}

		case 'notice': {
			return {...state, notice: action.message};
		}

		case 'autoplay': {
			return {...state, autoplay: action.on};
		}

		case 'paused': {
			return {...state, paused: action.on};
		}

		case 'fail-armed': {
			return {...state, failArmed: action.on};
		}

		case 'batch-size': {
			return {...state, batchSize: action.size, batchFixed: action.fixed};
		}

		case 'toggle-sql': {
			return {...state, showRollbackSql: !state.showRollbackSql};
		}

		case 'switch-view': {
			return {...state, tableVersion: state.tableVersion === 'v1' ? 'v2' : 'v1'};
		}

		case 'switch-table': {
			return {...state, tableIndex: movedTable(state.tableIndex, action.by, state.tables.length)};
		}

		case 'toggle-help': {
			return {...state, help: action.on ?? !state.help};
		}

		case 'quitting': {
			return {...state, quitting: true};
		}

		case 'traffic': {
			return {...state, traffic: action.snapshot};
		}
	}
}
