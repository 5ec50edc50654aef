import type {Database, HistoryEntry, Queryable} from './ports.js';
import {defaultMaxLagMs, defaultServerWorkers, defaultTargetBatchMs, type BackfillControl} from './backfill.js';
import {ZdmError} from './errors.js';
import type {ExecutorEvent, ExecutorListener} from './events.js';
import {cancelAutovacuum, defaultLockPolicy, findBlockers, isConnectionLoss, type LockPolicy} from './lock-retry.js';
import {openPlan, openStoredPlan} from './open-plan.js';
import {isActive, type MigrationPhase} from './phase.js';
import {nextStep, type Plan, type Step} from './plan.js';
import type {ReplicaPort} from './replica-lag.js';
import {rollbackAfterFailure, rollbackExecuted, undoContract} from './rollback.js';
import {runStep, type StepContext} from './step-run.js';
import {VerifyMismatch} from './verify.js';

export interface ExecutorOptions {
	/** Inject a failure when this step (1-based) runs. */
	failAt?: number;
	lock?: Partial<LockPolicy>;
	batchSize?: number;
	targetBatchMs?: number;
	/** Sessions filling backfill batches at once on a server (default 2); the embedded database uses one. */
	backfillWorkers?: number;
	/** Streaming replicas the backfill waits for between batches while any lags more than maxLagMs. */
	replicas?: ReplicaPort[];
	/** Default 1000 ms. */
	maxLagMs?: number;
	/** Stops a backfill between batches; finished batches are saved and a later run resumes. */
	signal?: AbortSignal;
	/** Runs before every step and rollback: e.g. proving we still hold the database. */
	beforeStep?: () => Promise<void>;
	/**
	 * `complete` of a started migration: a failing contract step undoes only the contract and
	 * leaves the migration started, since the new application already uses its version schema.
	 * Otherwise (run, the dashboard) any failure rolls back everything.
	 */
	keepStartedOnContractFailure?: boolean;
	/** --skip-verify: contract without verifying the backfilled columns first. */
	skipVerify?: boolean;
}

export type StepOutcome =
	| {outcome: 'executed'; step: Step}
	| {outcome: 'complete'}
	| {outcome: 'rolled-back'; step: Step; error: string}
	/** keepStartedOnContractFailure: the contract failed and was undone; the migration is still started. */
	| {outcome: 'contract-failed'; step: Step; error: string};

/**
 * WHY stop rather than roll back when the connection drops? The server has already rolled back
 * whatever was in flight, and every step commits with its mark: the stored state is exact. A
 * rollback now would likely fail the same way, and undo a long backfill for a network blip.
 */
function connectionLost(error: unknown, during: string): ZdmError {
	const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
	return new ZdmError('interrupted', `lost the connection to the database during ${during} (${reason}); nothing half-done was kept and the state is saved`, 'run the same command again to resume');
}

const errorText = (error: unknown) => (error instanceof ZdmError ? error.oneLine() : error instanceof Error ? error.message : String(error)).split('\n')[0]!;

/**
 * Runs a plan one step at a time against the database port. `step()` runs exactly one step and
 * returns, which is all the dashboard needs; `run()` is the same loop without pauses.
 */
export class Executor {
	readonly plan: Plan;
	readonly control: BackfillControl;
	private readonly listeners = new Set<ExecutorListener>();
	/** What the step and rollback modules use of this executor. */
	private readonly context: StepContext;
	private failArmed = false;
	private busy = false;

	private constructor(
		private readonly db: Database,
		plan: Plan,
		private readonly options: ExecutorOptions,
	) {
		this.plan = plan;
		const lock: LockPolicy = {...defaultLockPolicy, ...options.lock, signal: options.signal};
		this.control = {batchSize: options.batchSize ?? 1000, targetBatchMs: options.targetBatchMs ?? defaultTargetBatchMs(db.concurrent), fixed: options.batchSize !== undefined, workers: options.backfillWorkers ?? defaultServerWorkers, signal: options.signal};
		this.context = {
			db,
			plan,
			sql: {db, lock, schema: plan.schema, onLockWait: async (step, attempt, waitedMs) => this.lockWait(step, attempt, waitedMs), beforeLock: async step => this.yieldAutovacuum(step)},
			control: this.control,
			replicaLag: {replicas: options.replicas ?? [], maxLagMs: options.maxLagMs ?? defaultMaxLagMs, warnedUnthrottled: false},
			emit: event => this.emit(event),
			history: async (tx, entry) => this.history(tx, entry),
			setPhase: phase => this.setPhase(phase),
			skipVerify: options.skipVerify,
		};
	}

	/** Open a migration from its compiled plan: a started one resumes from its stored state (open-plan.ts). */
	static async open(db: Database, compiled: Plan, options: ExecutorOptions = {}): Promise<Executor> {
		return new Executor(db, await openPlan(db, compiled), options);
	}

	/** Open a stored migration by id alone (complete, rollback). */
	static async resume(db: Database, id: string, options: ExecutorOptions = {}): Promise<Executor> {
		return new Executor(db, await openStoredPlan(db, id), options);
	}

	on(listener: ExecutorListener): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Make the next step fail (the dashboard's `f`), to show the rollback. */
	armFailure(armed = true) {
		this.failArmed = armed;
	}

	get failureArmed() {
		return this.failArmed;
	}

	get running() {
		return this.busy;
	}

	get next(): Step | undefined {
		return nextStep(this.plan);
	}

	/**
	 * A rollback was cut short (a crash, a lost connection, Ctrl-C): some steps are undone or
	 * failed while the migration is still active. Going forward from there would skip them, so
	 * the only way on is to finish the rollback.
	 */
	get rollingBack(): boolean {
		return isActive(this.plan.phase) && this.plan.steps.some(step => step.status === 'rolled_back' || step.status === 'failed');
	}

	private emit(event: ExecutorEvent) {
		for (const listener of this.listeners) listener(event);
	}

	private async history(tx: Queryable, entry: Omit<HistoryEntry, 'at' | 'migrationId'>) {
		const saved = await this.db.state.addHistory(tx, {...entry, migrationId: this.plan.id});
		this.emit({type: 'history', entry: saved});
	}

	private setPhase(phase: MigrationPhase) {
		if (this.plan.phase === phase) return;
		this.plan.phase = phase;
		this.emit({type: 'phase', phase});
	}

	/** Run the next step. A failure rolls back every executed step and ends in ROLLED_BACK. */
	async step(): Promise<StepOutcome> {
		if (this.busy) throw new ZdmError('refused', 'a step is already running', 'wait for it to finish');
		if (this.plan.phase === 'COMPLETE') return {outcome: 'complete'};
		if (this.plan.phase === 'ROLLED_BACK') throw new ZdmError('refused', `migration ${this.plan.id} is rolled back`, 'run it again from its plan file to start afresh');
		// Busy from here, before the first await: a second call meanwhile must not pick the same step.
		this.busy = true;
		try {
			await this.checkBeforeStep();
		} catch (error) {
			this.busy = false;
			throw error;
		}

		if (this.rollingBack) {
			this.busy = false;
			return this.finishRollback();
		}

		const step = this.next;
		if (!step) {
			try {
				await this.finish();
			} finally {
				this.busy = false;
			}

			return {outcome: 'complete'};
		}

		const inject = this.failArmed || this.options.failAt === step.number;
		this.failArmed = false;
		const started = performance.now();
		const wasRunning = step.status === 'running';
		this.setPhase(step.phase);
		step.status = 'running';
		this.emit({type: 'step-started', step});
		try {
			await runStep(this.context, step, inject, wasRunning, started);
		} catch (error) {
			const lost = isConnectionLoss(error);
			if (lost || (error instanceof ZdmError && error.code === 'interrupted')) {
				this.busy = false;
				// As stored: a transactional step left nothing behind and is pending again; a concurrent
				// or backfill step was marked running as it began, even if its mark of done was lost.
				if (step.kind === 'ddl' || step.kind === 'script' || step.kind === 'verify') step.status = wasRunning ? 'running' : 'pending';
				else step.status = 'running';
				throw lost ? connectionLost(error, `step ${step.number}`) : error;
			}

			const message = errorText(error);
			step.status = 'failed';
			step.durationMs = performance.now() - started;
			this.emit({type: 'step-failed', step, error: message});
			// A verify mismatch always keeps the migration started: rolling back would throw away a
			// backfill over a few rows that need a look, and the new version may already use them.
			const keepStarted = (this.options.keepStartedOnContractFailure === true && step.phase === 'CONTRACTING') || error instanceof VerifyMismatch;
			try {
				if (keepStarted) await undoContract(this.context, step, message);
				else await rollbackAfterFailure(this.context, step, message);
			} catch (rollbackError) {
				if (isConnectionLoss(rollbackError)) throw connectionLost(rollbackError, `the rollback after step ${step.number} failed (${message})`);
				throw rollbackError;
			} finally {
				this.busy = false;
			}

			return {outcome: keepStarted ? 'contract-failed' : 'rolled-back', step, error: message};
		}

		this.busy = false;
		if (!this.next) await this.finish();
		return {outcome: 'executed', step};
	}

	private async yieldAutovacuum(step: Step) {
		if (!step.table || !this.db.concurrent) return;
		const pids = await cancelAutovacuum(this.db, this.plan.schema, step.table);
		if (pids.length > 0) this.emit({type: 'autovacuum-cancelled', step, table: step.table, pids});
	}

	private async lockWait(step: Step, attempt: number, waitedMs: number) {
		const blockers = step.table && this.db.concurrent ? await findBlockers(this.db, this.plan.schema, step.table) : [];
		this.emit({type: 'lock-wait', step, attempt, waitedMs, blockers});
	}

	/** Undo everything executed so far (the `rollback` command, the dashboard's `r`). */
	async rollback(): Promise<void> {
		if (this.busy) throw new ZdmError('refused', 'a step is running', 'wait for it to finish, then roll back');
		if (this.plan.phase === 'COMPLETE') {
			throw new ZdmError('bad-input', `migration ${this.plan.id} is COMPLETE and cannot be rolled back`, 'the old shape is gone; write a new migration that reverses it');
		}

		if (this.plan.phase === 'ROLLED_BACK') return;
		this.busy = true;
		try {
			await this.checkBeforeStep();
			await rollbackExecuted(this.context);
		} catch (error) {
			if (isConnectionLoss(error)) throw connectionLost(error, 'the rollback');
			throw error;
		} finally {
			this.busy = false;
		}
	}

	private async checkBeforeStep() {
		try {
			await this.options.beforeStep?.();
		} catch (error) {
			if (isConnectionLoss(error)) throw connectionLost(error, 'the check before the next step');
			throw error;
		}
	}

	/** Finish a rollback that was cut short; reported like the failure that started it. */
	private async finishRollback(): Promise<StepOutcome> {
		const failed = this.plan.steps.find(step => step.status === 'failed') ?? this.plan.steps.find(step => step.status === 'rolled_back')!;
		await this.rollback();
		return {outcome: 'rolled-back', step: failed, error: `finished the rollback that was interrupted${failed.status === 'failed' ? ` after step ${failed.number} failed` : ''}`};
	}

	private async finish() {
		await this.db.transaction(async tx => {
			await this.db.state.savePhase(tx, this.plan.id, 'COMPLETE');
			this.setPhase('COMPLETE');
			await this.history(tx, {phase: 'COMPLETE', message: 'Migration finished successfully'});
		});
	}

	/** Step until COMPLETE, or until the next step would start `stopBefore` (start: CONTRACTING). */
	async run(stopBefore?: MigrationPhase): Promise<StepOutcome> {
		for (;;) {
			const next = this.next;
			if (stopBefore && next?.phase === stopBefore && !this.rollingBack) return {outcome: 'executed', step: this.plan.steps[Math.max(0, next.number - 2)]!};
			const result = await this.step();
			if (result.outcome !== 'executed') return result;
			if (this.options.signal?.aborted) throw new ZdmError('interrupted', `interrupted after step ${result.step.number}; the state is saved`, 'run the same command again to resume');
		}
	}
}
