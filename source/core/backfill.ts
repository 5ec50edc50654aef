import type {Database} from '../db/database.js';
import {loadBackfillCursor, type BackfillCursor} from '../db/state.js';
import {batchSettings} from './backfill-sql.js';
import {ZdmError} from './errors.js';
import type {ExecutorEvent} from './events.js';
import {withLockRetry, type LockPolicy} from './lock-retry.js';
import type {Step} from './plan.js';
import {qualified} from './sql.js';

export interface BackfillControl {
	/** Rows per batch now; the backfill adapts it toward targetBatchMs unless fixed. */
	batchSize: number;
	/** Hold each batch near this long: long enough to be efficient, short enough that writers barely wait. */
	targetBatchMs: number;
	/** A size set by hand (dashboard + / -) stops adaptation. */
	fixed: boolean;
	/** Resolves when the backfill may go on (the dashboard's pause). */
	gate?: () => Promise<void>;
	signal?: AbortSignal;
}

/**
 * The batch duration to aim for. WHY 50 ms? A writer touching a row of the batch in flight waits
 * for its commit: 50 ms keeps every write under 100 ms, while per-batch costs (a commit, the
 * cursor) stay a few percent of the work.
 */
export const defaultTargetBatchMs = 50;
export const minBatch = 100;
export const maxBatch = 100_000;

export class InjectedFailure extends Error {
	constructor(step: number) {
		super(`injected failure at step ${step} (--fail-at)`);
	}
}

export interface BackfillRun {
	db: Database;
	migrationId: string;
	step: Step;
	lock: LockPolicy;
	control: BackfillControl;
	/** Fail after the first batch has committed, to prove a half-done backfill rolls back. */
	injectFailure: boolean;
	emit: (event: ExecutorEvent) => void;
	onLockWait: (attempt: number, waitedMs: number) => Promise<void>;
}

/**
 * Walk the primary key in batches, each its own transaction that also saves the cursor: a run
 * killed at any moment resumes after the last committed batch, and no row is done twice.
 */
export async function runBackfill(run: BackfillRun): Promise<BackfillCursor> {
	const {db, step, control} = run;
	const spec = step.backfill!;
	const saved = await loadBackfillCursor(db, run.migrationId, step.number);
	let state: BackfillCursor = saved ?? {cursor: null, rowsDone: 0, rowsTotal: 0};
	const counted = await db.query<{count: number | string}>(`SELECT count(*) AS count FROM ${qualified(spec.schema, spec.table)}`);
	state.rowsTotal = Math.max(Number(counted.rows[0]!.count), state.rowsDone);
	const started = performance.now();
	const doneAtStart = state.rowsDone;
	const timeout = `${Math.round(run.lock.lockTimeoutMs)}ms`;
	// WHY a session of its own on a server? Its settings then hold for every batch, and each batch
	// is one statement, its own transaction: one round trip. On PGlite there is one connection,
	// shared with the application, so the settings must stay inside each batch's transaction.
	const session = db.concurrent ? await db.session() : undefined;
	try {
		if (session) await session.query(batchSettings, [timeout, false]);
		for (let batches = 0; ; batches++) {
			// WHY yield a macrotask? On PGlite every await is a microtask: without this, signals,
			// keypresses and timers (the simulated application) wait for the whole backfill.
			await new Promise(resolve => setImmediate(resolve));
			if (control.signal?.aborted) throw new ZdmError('interrupted', `interrupted during the backfill of step ${step.number}; its cursor is saved`, 'run the same command again to resume');
			await control.gate?.();
			const size = control.batchSize;
			const batchStarted = performance.now();
			const params = [...(state.cursor === null ? [size] : [state.cursor, size]), run.migrationId, step.number, state.rowsDone, state.rowsTotal];
			const sql = state.cursor === null ? spec.firstBatch : spec.nextBatch;
			const result = await withLockRetry(
				run.lock,
				async () => {
					if (session) return (await session.query<{rows: number; cursor: string | null}>(sql, params)).rows[0]!;
					return db.transaction(async tx => {
						await tx.query(batchSettings, [timeout, true]);
						return (await tx.query<{rows: number; cursor: string | null}>(sql, params)).rows[0]!;
					});
				},
				async ({attempt, waitedMs}) => run.onLockWait(attempt, waitedMs),
			);
			const batchMs = performance.now() - batchStarted;
			if (result.rows === 0) break;
			const fromKey = state.cursor;
			state = {cursor: result.cursor, rowsDone: state.rowsDone + result.rows, rowsTotal: Math.max(state.rowsTotal, state.rowsDone + result.rows)};
			const elapsed = (performance.now() - started) / 1000;
			const rowsPerSecond = elapsed > 0 ? (state.rowsDone - doneAtStart) / elapsed : 0;
			run.emit({
				type: 'batch',
				step,
				rowsDone: state.rowsDone,
				rowsTotal: state.rowsTotal,
				rowsPerSecond,
				etaMs: rowsPerSecond > 0 ? ((state.rowsTotal - state.rowsDone) / rowsPerSecond) * 1000 : 0,
				batchSize: size,
				batchMs,
				fromKey,
				toKey: result.cursor,
			});
			if (run.injectFailure) throw new InjectedFailure(step.number);
			if (!control.fixed) {
				// Multiplicative steps toward the target, bounded so one slow batch cannot swing it wildly.
				const ratio = Math.min(2, Math.max(0.5, control.targetBatchMs / Math.max(batchMs, 1)));
				control.batchSize = Math.round(Math.min(maxBatch, Math.max(minBatch, size * ratio)));
			}

			if (result.rows < size) break;
		}
	} finally {
		await session?.release();
	}

	return state;
}
