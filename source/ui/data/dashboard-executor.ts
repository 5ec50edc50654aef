import type {Executor} from '../../core/executor.js';
import type {OpenMigration} from '../../services/open-migration.js';
import type {DashboardStore} from '../state/store.js';
import type {TableView} from './table-view.js';

/**
 * The executor the dashboard drives, opened by the open-migration service as `run` opens its own:
 * its events fed to the store and the table, its backfill held between batches while paused. A
 * rolled-back migration gets a fresh one compiled against the restored catalog.
 */
export class DashboardExecutor {
	executor: Executor;
	private unsubscribe?: () => void;
	private resumeBackfill?: () => void;

	constructor(
		private readonly migration: OpenMigration,
		private readonly label: string,
		private readonly store: DashboardStore,
		private readonly signal: AbortSignal,
		private readonly tableView: TableView,
	) {
		this.executor = migration.executor;
		this.attach(migration.executor);
	}

	/** After a rollback: compiled and opened afresh, keeping what the person set by hand. */
	async restart() {
		const {control, failureArmed} = this.executor;
		this.attach(await this.migration.restart());
		Object.assign(this.executor.control, {batchSize: control.batchSize, fixed: control.fixed});
		this.executor.armFailure(failureArmed);
	}

	/** What the store's `ready` action needs to know about the plan. */
	readyFields() {
		const {plan, control} = this.executor;
		return {database: this.label, plan: {id: plan.id, title: plan.title, phase: plan.phase}, steps: plan.steps.map(step => ({...step})), batchSize: control.batchSize, batchFixed: control.fixed};
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
	}
}
