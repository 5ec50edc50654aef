import type {HistoryEntry} from './ports.js';
import type {Blocker} from './lock-retry.js';
import type {MigrationPhase} from './phase.js';
import type {Step} from './plan.js';
import type {LagReport} from './replica-lag.js';

/** What the executor tells the world. The dashboard reduces these; `--json` prints them. */
export type ExecutorEvent =
	| {type: 'phase'; phase: MigrationPhase}
	| {type: 'step-started'; step: Step}
	| {type: 'step-executed'; step: Step; durationMs: number}
	| {type: 'step-failed'; step: Step; error: string}
	| {type: 'step-rolled-back'; step: Step; durationMs: number}
	| {type: 'batch'; step: Step; rowsDone: number; rowsTotal: number; rowsPerSecond: number; etaMs: number; batchSize: number; batchMs: number; fromKey: string | null; toKey: string | null}
	| {type: 'lock-wait'; step: Step; attempt: number; waitedMs: number; blockers: Blocker[]}
	| {type: 'history'; entry: HistoryEntry}
	/** Between batches: each replica's replay lag, and whether the backfill waits for it. */
	| ({type: 'replica-lag'; step: Step} & LagReport)
	/** The primary streams to replicas, but no --replica was given: nothing keeps them within a lag. */
	| {type: 'replicas-unthrottled'; step: Step; replicas: string[]}
	/** Autovacuum held the table a step needs; zdm cancelled it (it runs again later). */
	| {type: 'autovacuum-cancelled'; step: Step; table: string; pids: number[]};

export type ExecutorListener = (event: ExecutorEvent) => void;
