import {ZdmError} from '../../core/errors.js';
import {Executor, type ExecutorOptions} from '../../core/executor.js';
import type {Plan} from '../../core/plan.js';
import type {Database} from '../../db/database.js';
import {openReplica} from '../../db/replica.js';
import type {CommandFlags} from '../../commands/options.js';
import {preparePlan} from '../../commands/prepare.js';
import type {DashboardStore} from '../state/store.js';
import type {TableView} from './table-view.js';

/**
 * The executor the dashboard drives and how it is made: compiled from the plan file (or resumed),
 * its events fed to the store and the table, its backfill held between batches while paused. A
 * rolled-back migration gets a fresh one compiled against the restored catalog.
 */
export class DashboardExecutor {
	executor?: Executor;
	private compiled?: Plan;
	private unsubscribe?: () => void;
	private resumeBackfill?: () => void;
	/** --replica: the backfill waits while any lags more than --max-lag. */
	private readonly replicas;

	constructor(
		private readonly db: Database,
		private readonly store: DashboardStore,
		private readonly planPath: string,
		private readonly flags: CommandFlags,
		private readonly signal: AbortSignal,
		private readonly tableView: TableView,
	) {
		this.replicas = (flags.replica ?? []).map(url => openReplica(url));
	}

	/** Validate, compile and lint the plan file against the catalog as it is now. */
	async prepare() {
		const prepared = await preparePlan(this.db, this.planPath, this.flags.allow);
		const {failAt} = this.flags;
		if (failAt !== undefined && failAt > prepared.plan.steps.length) {
			throw new ZdmError('bad-input', `--fail-at ${failAt} is past the plan's last step (${prepared.plan.steps.length})`, `choose a step from 1 to ${prepared.plan.steps.length}`);
		}

		this.compiled = prepared.plan;
		return prepared;
	}

	/** A fresh run of the plan last prepared. */
	async open() {
		this.attach(await Executor.open(this.db, this.compiled!, this.executorOptions()));
	}

	/** The migration already started under this plan id, from where it stopped. */
	async resume(planId: string) {
		this.attach(await Executor.resume(this.db, planId, this.executorOptions()));
	}

	/** After a rollback: prepared and opened afresh, keeping what the person set by hand. */
	async restart() {
		const {control, failureArmed} = this.executor!;
		await this.prepare();
		await this.open();
		// What the person set by hand carries over to the fresh run.
		Object.assign(this.executor!.control, {batchSize: control.batchSize, fixed: control.fixed});
		this.executor!.armFailure(failureArmed);
	}

	/** What the store's `ready` action needs to know about the plan. */
	readyFields() {
		const {plan, control} = this.executor!;
		return {database: this.db.label, plan: {id: plan.id, title: plan.title, phase: plan.phase}, steps: plan.steps.map(step => ({...step})), batchSize: control.batchSize, batchFixed: control.fixed};
	}

	private executorOptions(): ExecutorOptions {
		const {flags} = this;
		return {
			failAt: flags.failAt,
			batchSize: flags.batchSize,
			backfillWorkers: flags.backfillWorkers,
			replicas: this.replicas,
			maxLagMs: flags.maxLag,
			signal: this.signal,
			lock: {
				...(flags.lockTimeout === undefined ? {} : {lockTimeoutMs: flags.lockTimeout}),
				...(flags.maxLockWait === undefined ? {} : {maxLockWaitMs: flags.maxLockWait}),
			},
		};
	}

	private attach(executor: Executor) {
		this.unsubscribe?.();
		this.executor = executor;
		// `p` holds the backfill between batches; the batch in flight still commits.
		executor.control.gate = async () => {
			// PGlite's batches resolve as promises only: without a turn of the event loop between
			// them, keys (p, q, +/-) would wait in stdin until the whole backfill ended.
			await new Promise(resolve => setImmediate(resolve));
			if (!this.store.getState().paused || this.signal.aborted) return;
			await new Promise<void>(resolve => {
				this.resumeBackfill = resolve;
			});
		};
		this.unsubscribe = executor.on(event => {
			this.store.dispatch({type: 'executor', event});
			// Columns change only when a step runs DDL; batches reuse the shape already read.
			if (event.type === 'batch') this.tableView.refreshSoon();
			else this.tableView.columnsMayChange();
		});
	}

	/** A backfill held between batches goes on: to its next batch, or after an abort to its stop. */
	releaseGate() {
		this.resumeBackfill?.();
		this.resumeBackfill = undefined;
	}

	/** Events stop reaching the store and the table. */
	detach() {
		this.unsubscribe?.();
		for (const replica of this.replicas) void replica.close().catch(() => {});
	}
}
