import {ZdmError} from '../core/errors.js';
import {Executor, type ExecutorOptions} from '../core/executor.js';
import {maxBatch, minBatch} from '../core/backfill.js';
import type {Plan} from '../core/plan.js';
import type {Database} from '../db/database.js';
import {openDatabase} from '../db/open.js';
import {acquireHolder, ensureStateSchema, readHistory, type Holder} from '../db/state.js';
import {readPlanFile} from '../core/plan-file.js';
import {checkFlags, type CommandFlags} from '../commands/options.js';
import {preparePlan, startedMigration} from '../commands/prepare.js';
import {TableView} from './data/table-view.js';
import {DashboardTraffic} from './data/dashboard-traffic.js';
import type {DashboardStore} from './state/store.js';

/** Enough rows that the backfill visibly runs for a few seconds on PGlite (4–8 s measured here). */
export const dashboardDemoRows = 400_000;

export interface SessionOptions {
	planPath: string;
	flags: CommandFlags;
	/** Opens the database; tests pass their own, the CLI opens from the flags. */
	open?: (flags: CommandFlags) => Promise<Database>;
}

type Command = 'next' | 'rollback';

/**
 * The dashboard's lifecycle as plain async code: open, prepare, drive the executor one command at
 * a time, quit. React only renders the store this feeds and forwards keys to these methods.
 */
export class DashboardSession {
	private db?: Database;
	private holder?: Holder;
	private executor?: Executor;
	private compiled?: Plan;
	private unsubscribe?: () => void;
	private readonly controller = new AbortController();
	private readonly queue: Command[] = [];
	private current?: Promise<void>;
	private autoplayTimer?: NodeJS.Timeout;
	private resumeBackfill?: () => void;
	private interrupted = false;
	/** The last run failed and rolled back: quitting then exits 1, as `zdm-tui run` would. */
	private failed = false;
	private tableView?: TableView;
	private closed = false;
	private traffic?: DashboardTraffic;

	constructor(
		private readonly store: DashboardStore,
		private readonly options: SessionOptions,
	) {}

	private get state() {
		return this.store.getState();
	}

	private starting?: Promise<void>;

	start(): Promise<void> {
		this.starting ??= this.open();
		return this.starting;
	}

	private async open(): Promise<void> {
		// --traffic 0 turns the simulated application off; any other value is checked as run checks it.
		const flags = checkFlags({...this.options.flags, traffic: this.options.flags.traffic === 0 ? undefined : this.options.flags.traffic});
		const {dispatch} = this.store;
		const where = flags.databaseUrl ?? process.env.DATABASE_URL ? 'Connecting to the PostgreSQL server' : `Starting the embedded PostgreSQL (PGlite)${flags.dataDir ? ` in ${flags.dataDir}` : ''} with the demo users table`;
		dispatch({type: 'loading', what: `${where}…`});
		// A plan file that cannot be read or parsed is refused before the database starts.
		const file = readPlanFile(this.options.planPath);
		this.db = await (this.options.open ?? defaultOpen)(flags);
		this.tableView = new TableView(this.db, this.store, () => this.tableShown());
		dispatch({type: 'loading', what: `Planning ${this.options.planPath}…`});
		const resuming = (await startedMigration(this.db, file)) !== undefined;

		const findings = resuming ? [] : (await this.prepare()).findings;
		await ensureStateSchema(this.db);
		this.holder = await acquireHolder(this.db, file.id);
		if (resuming) await this.attach(await Executor.resume(this.db, file.id, this.executorOptions()));
		else await this.openExecutor();
		this.traffic = new DashboardTraffic(this.db, file, this.options.flags, this.store);
		await this.traffic.begin(this.executor!);
		dispatch({type: 'ready', ...this.readyFields(), findings, history: await readHistory(this.db, file.id)});
		await this.refreshUsers();
		if (this.state.autoplay) this.scheduleAutoplay(0);
	}

	private readyFields() {
		const {plan, control} = this.executor!;
		return {database: this.db!.label, plan: {id: plan.id, title: plan.title, phase: plan.phase}, steps: plan.steps.map(step => ({...step})), batchSize: control.batchSize, batchFixed: control.fixed};
	}

	/** Validate, compile and lint the plan file against the catalog as it is now. */
	private async prepare() {
		const prepared = await preparePlan(this.db!, this.options.planPath, this.options.flags.allow);
		const {failAt} = this.options.flags;
		if (failAt !== undefined && failAt > prepared.plan.steps.length) {
			throw new ZdmError('bad-input', `--fail-at ${failAt} is past the plan's last step (${prepared.plan.steps.length})`, `choose a step from 1 to ${prepared.plan.steps.length}`);
		}

		this.compiled = prepared.plan;
		return prepared;
	}

	private executorOptions(): ExecutorOptions {
		const {flags} = this.options;
		return {
			failAt: flags.failAt,
			batchSize: flags.batchSize,
			backfillWorkers: flags.backfillWorkers,
			signal: this.controller.signal,
			lock: {
				...(flags.lockTimeout === undefined ? {} : {lockTimeoutMs: flags.lockTimeout}),
				...(flags.maxLockWait === undefined ? {} : {maxLockWaitMs: flags.maxLockWait}),
			},
		};
	}

	private async openExecutor() {
		await this.attach(await Executor.open(this.db!, this.compiled!, this.executorOptions()));
	}

	private async attach(executor: Executor) {
		this.unsubscribe?.();
		this.executor = executor;
		// `p` holds the backfill between batches; the batch in flight still commits.
		executor.control.gate = async () => {
			// PGlite's batches resolve as promises only: without a turn of the event loop between
			// them, keys (p, q, +/-) would wait in stdin until the whole backfill ended.
			await new Promise(resolve => setImmediate(resolve));
			if (!this.state.paused || this.controller.signal.aborted) return;
			await new Promise<void>(resolve => {
				this.resumeBackfill = resolve;
			});
		};
		this.unsubscribe = executor.on(event => {
			this.store.dispatch({type: 'executor', event});
			// Columns change only when a step runs DDL; batches reuse the shape already read.
			if (event.type === 'batch') this.tableView?.refreshSoon();
			else this.tableView?.columnsMayChange();
		});
	}

	/** Space / Enter and `r`: queued behind a running command, never run alongside it. */
	enqueue(command: Command) {
		if (this.closed || this.state.quitting || !this.executor) return;
		this.queue.push(command);
		this.pump();
	}

	private pump() {
		if (this.current) {
			this.store.dispatch({type: 'queue', busy: true, queued: this.queue.length});
			return;
		}

		const command = this.queue.shift();
		if (!command) return;
		this.store.dispatch({type: 'queue', busy: true, queued: this.queue.length});
		this.current = this.execute(command).finally(() => {
			this.current = undefined;
			this.store.dispatch({type: 'queue', busy: false, queued: this.queue.length});
			if (this.queue.length > 0) this.pump();
			else if (this.state.autoplay) this.scheduleAutoplay(this.options.flags.speed ?? 1200);
		});
	}

	private async execute(command: Command) {
		const {dispatch} = this.store;
		const executor = this.executor!;
		const {phase} = executor.plan;
		dispatch({type: 'notice'});
		try {
			if (command === 'rollback') {
				if (phase === 'COMPLETE') return dispatch({type: 'notice', message: 'COMPLETE: the old shape is gone, so there is nothing to roll back'});
				if (phase === 'ROLLED_BACK' || phase === 'PENDING') return dispatch({type: 'notice', message: 'nothing has run, so there is nothing to roll back'});
				dispatch({type: 'baseline'});
				// The rollback removes v2's columns: take v2 out of service first.
				await this.traffic?.retire('v2');
				await executor.rollback();
			} else if (phase === 'COMPLETE') {
				this.stopAutoplay();
				return dispatch({type: 'notice', message: 'COMPLETE: nothing left to run. q quits'});
			} else {
				// As `run` does: a plan with a lint error never touches the database unless allowed.
				const lintError = phase === 'PENDING' || phase === 'ROLLED_BACK' ? this.state.findings.find(finding => finding.severity === 'error') : undefined;
				if (lintError) {
					this.stopAutoplay();
					return dispatch({type: 'error', message: `lint ${lintError.rule} refuses this plan (--allow ${lintError.rule} accepts it): ${lintError.hint}`});
				}

				// A rolled-back migration starts afresh, compiled against the restored catalog.
				if (phase === 'ROLLED_BACK') await this.restart();
				// Autoplay does what a careful person does: contract only once v1 is gone.
				if (this.state.autoplay && this.executor!.next?.phase === 'CONTRACTING') await this.traffic?.retire('v1');
				dispatch({type: 'baseline'});
				const result = await this.executor!.step();
				this.failed = result.outcome === 'rolled-back';
				if (this.failed) this.stopAfterFailure();
			}
		} catch (error) {
			if (error instanceof ZdmError && error.code === 'interrupted') {
				this.interrupted = true;
				return;
			}

			this.failed = true;
			this.stopAfterFailure();
			dispatch({type: 'error', message: error instanceof ZdmError ? error.oneLine() : error instanceof Error ? error.message.split('\n')[0]! : String(error)});
		} finally {
			dispatch({type: 'fail-armed', on: this.executor!.failureArmed});
			if (!this.closed) await this.refreshUsers();
			const end = this.executor!.plan.phase;
			if (end === 'COMPLETE' || end === 'ROLLED_BACK') this.stopAutoplay();
		}
	}

	private async restart() {
		const {control, failureArmed} = this.executor!;
		await this.prepare();
		await this.openExecutor();
		// What the person set by hand carries over to the fresh run.
		Object.assign(this.executor!.control, {batchSize: control.batchSize, fixed: control.fixed});
		this.executor!.armFailure(failureArmed);
		// v2 was retired by the rollback: both versions start again with the fresh run.
		await this.traffic?.begin(this.executor!);
		this.store.dispatch({type: 'ready', ...this.readyFields(), findings: this.state.findings, history: this.state.history});
	}

	private scheduleAutoplay(delayMs: number) {
		clearTimeout(this.autoplayTimer);
		this.autoplayTimer = setTimeout(() => {
			if (this.state.autoplay && !this.current && this.queue.length === 0) this.enqueue('next');
		}, delayMs);
	}

	/** Keys queued before a failure meant "go on", not "start again": drop them. */
	private stopAfterFailure() {
		this.queue.length = 0;
		this.stopAutoplay();
	}

	private stopAutoplay() {
		clearTimeout(this.autoplayTimer);
		if (this.state.autoplay) this.store.dispatch({type: 'autoplay', on: false});
	}

	toggleAutoplay() {
		const on = !this.state.autoplay;
		this.store.dispatch({type: 'autoplay', on});
		if (on && !this.current) this.scheduleAutoplay(0);
		else if (!on) clearTimeout(this.autoplayTimer);
	}

	/** `f`: the next step to start fails, and everything executed rolls back. */
	toggleFailure() {
		if (!this.executor) return;
		this.executor.armFailure(!this.executor.failureArmed);
		this.store.dispatch({type: 'fail-armed', on: this.executor.failureArmed});
	}

	togglePause() {
		const on = !this.state.paused;
		this.store.dispatch({type: 'paused', on});
		if (!on) this.releaseGate();
	}

	private releaseGate() {
		this.resumeBackfill?.();
		this.resumeBackfill = undefined;
	}

	/** `v`: the old application is taken out of service, as contract requires. */
	retireV1() {
		void this.traffic?.retire('v1');
	}

	/** `+` / `-`: a size set by hand stops the backfill adapting it. */
	changeBatchSize(direction: 1 | -1) {
		if (!this.executor) return;
		const {control} = this.executor;
		control.batchSize = Math.round(Math.min(maxBatch, Math.max(minBatch, direction > 0 ? control.batchSize * 2 : control.batchSize / 2)));
		control.fixed = true;
		this.store.dispatch({type: 'batch-size', size: control.batchSize, fixed: true});
	}

	scroll(by: number): Promise<void> {
		return this.tableView?.scroll(by) ?? Promise.resolve();
	}

	private async refreshUsers() {
		await this.tableView?.refresh();
	}

	/** The table the plan changes (the demo's users by default). */
	private tableShown(): string {
		return this.executor?.plan.steps.find(step => step.table)?.table ?? 'users';
	}

	/**
	 * `q` / Ctrl-C: a running backfill stops after its current batch with its cursor saved, a DDL
	 * step finishes its transaction; then the lock is released and the database closed.
	 */
	async quit(): Promise<number> {
		if (this.closed) return this.exitCode();
		this.store.dispatch({type: 'quitting'});
		// Closing the database under a start still opening it would break both.
		await this.starting?.catch(() => {});
		clearTimeout(this.autoplayTimer);
		this.queue.length = 0;
		this.controller.abort();
		this.releaseGate();
		await this.current;
		this.closed = true;
		this.unsubscribe?.();
		// Requests in flight finish before the hold is released and the database closes.
		await this.traffic?.end();
		await this.tableView?.close();
		await this.holder?.release().catch(() => {});
		await this.db?.close();
		return this.exitCode();
	}

	/** As the headless commands: 130 interrupted, 1 failed and rolled back, 0 otherwise. */
	private exitCode(): number {
		if (this.interrupted) return 130;
		return this.failed ? 1 : 0;
	}
}

async function defaultOpen(flags: CommandFlags): Promise<Database> {
	return openDatabase({databaseUrl: flags.databaseUrl ?? process.env.DATABASE_URL, dataDir: flags.dataDir, rows: flags.rows ?? dashboardDemoRows});
}
