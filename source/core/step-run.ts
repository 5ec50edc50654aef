import type {Database, HistoryEntry, Queryable} from './ports.js';
import {InjectedFailure, runBackfill, type BackfillControl, type ReplicaLagPolicy} from './backfill.js';
import type {ExecutorEvent} from './events.js';
import type {MigrationPhase} from './phase.js';
import type {Plan, Step} from './plan.js';
import {inTransaction, outsideTransaction, undo, type StepSql} from './step-sql.js';
import {runVerify} from './verify.js';

/** What running or undoing a step needs from its executor. */
export interface StepContext {
	readonly db: Database;
	readonly plan: Plan;
	/** How the steps run their SQL (step-sql.ts). */
	readonly sql: StepSql;
	readonly control: BackfillControl;
	readonly replicaLag: ReplicaLagPolicy;
	emit(event: ExecutorEvent): void;
	/** Store a history entry in `tx` and tell the listeners. */
	history(tx: Queryable, entry: Omit<HistoryEntry, 'at' | 'migrationId'>): Promise<void>;
	setPhase(phase: MigrationPhase): void;
	/** --skip-verify: a verify step is marked done without reading a row. */
	readonly skipVerify?: boolean;
}

/** How one step runs forward, by its kind; its mark (executed, the phase, history) is stored as it ends. */
export async function runStep(run: StepContext, step: Step, inject: boolean, wasRunning: boolean, started: number): Promise<void> {
	const markDone = async (tx: Queryable) => {
		step.durationMs = performance.now() - started;
		step.status = 'executed';
		await run.db.state.saveStepStatus(tx, run.plan.id, step);
		await run.db.state.savePhase(tx, run.plan.id, step.phase);
		await run.history(tx, {phase: step.phase, message: step.description, durationMs: step.durationMs});
	};

	const markRunning = async () =>
		run.db.transaction(async tx => {
			await run.db.state.saveStepStatus(tx, run.plan.id, step);
			await run.db.state.savePhase(tx, run.plan.id, step.phase);
		});

	switch (step.kind) {
		case 'ddl':
		case 'script': {
			// The step's SQL and its mark commit together: after a crash, either both or neither.
			await inTransaction(run.sql, step, step.forward, step.kind === 'script', async tx => {
				if (inject) throw new InjectedFailure(step.number);
				await markDone(tx);
			});
			break;
		}

		case 'concurrent': {
			await markRunning();
			// A crash mid-build leaves an INVALID index; drop it before building again.
			if (wasRunning) await undo(run.sql, step);
			await outsideTransaction(run.sql, step, step.forward);
			if (inject) throw new InjectedFailure(step.number);
			await run.db.transaction(markDone);
			break;
		}

		case 'backfill': {
			await markRunning();
			await runBackfill({
				db: run.db,
				migrationId: run.plan.id,
				step,
				lock: run.sql.lock,
				control: run.control,
				replicaLag: run.replicaLag,
				injectFailure: inject,
				emit: event => run.emit(event),
				onLockWait: async (attempt, waitedMs) => run.sql.onLockWait(step, attempt, waitedMs),
			});
			await run.db.transaction(markDone);
			break;
		}

		case 'verify': {
			// Read only, so nothing is stored until it passes: a stopped verify simply starts over.
			if (run.skipVerify) {
				await run.db.transaction(async tx => {
					await markDone(tx);
					await run.history(tx, {phase: step.phase, message: `Skipped (--skip-verify): ${step.description}`});
				});
				break;
			}

			await runVerify({
				db: run.db,
				step,
				lock: run.sql.lock,
				batchSize: run.control.batchSize,
				fixed: run.control.fixed,
				targetBatchMs: run.control.targetBatchMs,
				signal: run.control.signal,
				injectFailure: inject,
				gate: run.control.gate,
				emit: event => run.emit(event),
				onLockWait: async (attempt, waitedMs) => run.sql.onLockWait(step, attempt, waitedMs),
			});
			await run.db.transaction(markDone);
			break;
		}
	}

	run.emit({type: 'step-executed', step, durationMs: step.durationMs ?? 0});
}
