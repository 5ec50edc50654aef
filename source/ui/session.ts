import {ZdmError} from '../core/errors.js';
import {maxBatch, minBatch} from '../core/backfill.js';
import type {Database} from '../db/database.js';
import {openDatabase} from '../db/open.js';
import {readHistory} from '../db/state.js';
import {readCatalog} from '../db/catalog.js';
import {readPlanFile} from '../core/plan-file.js';
import {planVersions} from '../core/operations/index.js';
import {baseSchema, checkFlags, type CommandFlags} from '../commands/options.js';
import {requireBaseSchema} from '../db/base-schema.js';
import {lintRefusal, openMigration, type OpenMigration} from '../services/open-migration.js';
import {readApplicationSchemas} from '../services/version-schemas.js';
import type {VersionName} from '../traffic/index.js';
import {TableView} from './data/table-view.js';
import {planTables, tableOnScreen} from './data/plan-tables.js';
import {DashboardTraffic} from './data/dashboard-traffic.js';
import {DashboardExecutor} from './data/dashboard-executor.js';
import {CommandQueue, type Command} from './data/command-queue.js';
import {DashboardRelease, isReleaseDir, refuseReleaseFlags} from './data/dashboard-release.js';
import type {OpenChainMigration} from '../services/chain.js';
import type {DashboardStore} from './state/store.js';
import type {DashboardState} from './state/dashboard-state.js';

/** Enough rows that the backfill visibly runs for a few seconds on PGlite (4–8 s measured here). */
export const dashboardDemoRows = 400_000;

export interface SessionOptions {
	planPath: string;
	flags: CommandFlags;
	/** Opens the database; tests pass their own, the CLI opens from the flags. `progress` updates the loading line. */
	open?: (flags: CommandFlags, progress: (what: string) => void) => Promise<Database>;
}

/**
 * The dashboard's lifecycle as plain async code: open, prepare, drive the executor one command at
 * a time, quit. React only renders the store this feeds and forwards keys to these methods.
 */
export class DashboardSession {
	private db?: Database;
	private migration?: OpenMigration | OpenChainMigration;
	/** A migrations directory opened as a release: its pending chain, one migration at a time. */
	private release?: DashboardRelease;
	private link?: DashboardExecutor;
	private readonly controller = new AbortController();
	private readonly commands: CommandQueue;
	private interrupted = false;
	/** The last run failed and rolled back: quitting then exits 1, as `zdm-tui run` would. */
	private failed = false;
	private tableView?: TableView;
	private closed = false;
	private traffic?: DashboardTraffic;
	/** The schema each application version uses, as the migration was opened. */
	private versions?: Record<VersionName, string>;

	constructor(
		private readonly store: DashboardStore,
		private readonly options: SessionOptions,
	) {
		this.commands = new CommandQueue(
			store,
			command => this.execute(command),
			() => !this.closed && !this.state.quitting && this.executor !== undefined,
			options.flags.speed ?? 1200,
		);
	}

	private get state() {
		return this.store.getState();
	}

	private get executor() {
		return this.link?.executor;
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
		const schema = baseSchema(flags);
		const where = flags.rehearseFrom ? 'Copying the schema to rehearse on' : flags.databaseUrl ?? process.env.DATABASE_URL ? 'Connecting to the PostgreSQL server' : `Starting the embedded PostgreSQL (PGlite)${flags.dataDir ? ` in ${flags.dataDir}` : ''} with the demo users table${schema === 'public' ? '' : ` in schema ${schema}`}`;
		dispatch({type: 'loading', what: `${where}…`});
		const {planPath} = this.options;
		const releaseDir = isReleaseDir(planPath);
		if (releaseDir) refuseReleaseFlags(planPath, flags);
		// A plan file that cannot be read or parsed is refused before the database starts.
		const file = releaseDir ? undefined : readPlanFile(planPath);
		this.db = await (this.options.open ?? defaultOpen)(flags, what => dispatch({type: 'loading', what}));
		await requireBaseSchema(this.db, schema);
		this.tableView = new TableView(this.db, this.store, () => this.tableShown());
		dispatch({type: 'loading', what: `Planning ${planPath}…`});
		if (releaseDir) {
			// As migrate DIR: the whole chain is checked and linted before the first migration opens.
			this.release = await DashboardRelease.read(this.db, planPath, this.options.flags, this.controller.signal);
			this.migration = await this.release.open();
		} else {
			// The same service as `run`; lint errors are shown now and refused at the first step.
			this.migration = await openMigration(this.db, {path: planPath, file, flags: this.options.flags, signal: this.controller.signal, refuseLintErrors: false});
		}

		this.link = new DashboardExecutor(this.migration, this.db.label, this.store, this.controller.signal, this.tableView);
		this.traffic = new DashboardTraffic(this.db, this.migration.file, this.options.flags, this.store);
		this.followTables();
		await this.showMigration(await readHistory(this.db, this.migration.file.id));
		await this.refreshUsers();
		if (this.state.autoplay) this.commands.scheduleAutoplay(0);
	}

	/** The open migration on screen: its steps and tables, the traffic following it. */
	private async showMigration(history: DashboardState['history']) {
		const {file, findings} = this.migration!;
		this.versions = await readApplicationSchemas(this.db!, this.executor!.plan);
		const {schema: planSchema, steps} = this.executor!.plan;
		const tables = planTables(planVersions(file, await readCatalog(this.db!, planSchema)).tables, planSchema, steps);
		await this.traffic!.begin(this.executor!, file);
		this.store.dispatch({type: 'ready', ...this.link!.readyFields(), versions: this.versions, tables, findings, history, ...(this.release ? {release: this.release.view()} : {})});
	}

	/**
	 * A release moves on once its open migration is COMPLETE, as migrate does: that one's hold is
	 * let go, the next is opened (linted against the database as it is now), and the feed goes on.
	 */
	private async openNextMigration() {
		const release = this.release!;
		release.moveOn(this.executor!.plan.phase, this.state.steps);
		this.link!.detach();
		await this.migration!.release();
		this.migration = await release.open();
		this.link = new DashboardExecutor(this.migration, this.db!.label, this.store, this.controller.signal, this.tableView!);
		this.tableView!.columnsMayChange();
		await this.showMigration(this.state.history);
	}

	/** The last migration of a release, at the contract `migrate` leaves it before (none without --complete). */
	private leftStarted(): boolean {
		const stopBefore = this.migration && 'stopBefore' in this.migration ? this.migration.stopBefore : undefined;
		return stopBefore !== undefined && this.executor?.next?.phase === stopBefore;
	}

	/** Space / Enter and `r`: queued behind a running command, never run alongside it. */
	enqueue(command: Command) {
		this.commands.enqueue(command);
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
			} else if (phase === 'COMPLETE' && this.release?.hasNext) {
				// Opening the next one failed before: try again.
				await this.openNextMigration();
			} else if (phase === 'COMPLETE') {
				this.commands.stopAutoplay();
				return dispatch({type: 'notice', message: 'COMPLETE: nothing left to run. q quits'});
			} else {
				// As `run` does: a plan with a lint error never touches the database unless allowed.
				const lintError = phase === 'PENDING' || phase === 'ROLLED_BACK' ? lintRefusal(this.state.findings) : undefined;
				if (lintError) {
					this.commands.stopAutoplay();
					return dispatch({type: 'error', message: `lint ${lintError.rule} refuses this plan (--allow ${lintError.rule} accepts it): ${lintError.hint}`});
				}

				// A rolled-back migration starts afresh, compiled against the restored catalog.
				if (phase === 'ROLLED_BACK') await this.restart();
				// Autoplay does what a careful person does: contract only once v1 is gone.
				if (this.state.autoplay && this.executor!.next?.phase === 'CONTRACTING') await this.traffic?.retire('v1');
				dispatch({type: 'baseline'});
				const result = await this.executor!.step();
				this.failed = result.outcome === 'rolled-back';
				// A refused verify leaves the migration started: autoplay must not try it again and again.
				if (this.failed || result.outcome === 'contract-failed') this.commands.stopAfterFailure();
				else if (this.executor!.plan.phase === 'COMPLETE' && this.release?.hasNext) await this.openNextMigration();
			}
		} catch (error) {
			if (error instanceof ZdmError && error.code === 'interrupted') {
				this.interrupted = true;
				return;
			}

			this.failed = true;
			this.commands.stopAfterFailure();
			dispatch({type: 'error', message: error instanceof ZdmError ? error.oneLine() : error instanceof Error ? error.message.split('\n')[0]! : String(error)});
		} finally {
			dispatch({type: 'fail-armed', on: this.executor!.failureArmed});
			if (!this.closed) await this.refreshUsers();
			const end = this.executor!.plan.phase;
			if (end === 'COMPLETE' || end === 'ROLLED_BACK') this.commands.stopAutoplay();
			// Autoplay ends a release where migrate does; space goes on through the contract.
			if (this.state.autoplay && this.leftStarted()) {
				this.commands.stopAutoplay();
				this.store.dispatch({type: 'notice', message: `${this.executor!.plan.id} is left started, as migrate leaves the last: applications move to "${this.executor!.plan.versionSchema}"; space runs its contract once v1 is retired (v)`});
			}
		}
	}

	private async restart() {
		await this.link!.restart();
		// v2 was retired by the rollback: both versions start again with the fresh run.
		await this.traffic?.begin(this.executor!);
		this.versions = await readApplicationSchemas(this.db!, this.executor!.plan);
		this.store.dispatch({type: 'ready', ...this.link!.readyFields(), versions: this.versions, findings: this.state.findings, history: this.state.history});
	}

	toggleAutoplay() {
		this.commands.toggleAutoplay();
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
		if (!on) this.link?.releaseGate();
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

	/** Tab: the table as the other version sees it, read afresh (its columns differ). */
	async switchView(): Promise<void> {
		this.store.dispatch({type: 'switch-view'});
		this.tableView?.columnsMayChange();
		await this.refreshUsers();
	}

	/** The panel moved to another table (it follows the steps, or `[` / `]`): read it from its first row. */
	private followTables() {
		let shown = this.state.tableIndex;
		this.store.subscribe(() => {
			if (this.state.tableIndex === shown) return;
			shown = this.state.tableIndex;
			this.tableView?.columnsMayChange();
			void this.tableView?.refresh();
		});
	}

	scroll(by: number): Promise<void> {
		return this.tableView?.scroll(by) ?? Promise.resolve();
	}

	private async refreshUsers() {
		await this.tableView?.refresh();
	}

	/**
	 * The plan's table the panel is on (the demo's users for a plan that names none), as the version
	 * the panel shows sees it: v1 in its old schema, v2 through its version schema's view once expand
	 * has made it; a table that version does not have is said to be so.
	 */
	private tableShown() {
		const base = this.executor?.plan.schema ?? baseSchema(this.options.flags);
		const {tables, tableIndex, tableVersion, plan} = this.state;
		return tableOnScreen(tables[tableIndex] ?? {schema: base, v1: 'users', v2: 'users'}, tableVersion, plan?.phase, this.versions, base);
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
		this.commands.close();
		this.controller.abort();
		this.link?.releaseGate();
		await this.commands.running;
		this.closed = true;
		this.link?.detach();
		// Requests in flight finish before the hold is released and the database closes.
		await this.traffic?.end();
		await this.tableView?.close();
		await this.migration?.release().catch(() => {});
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
	return openDatabase({databaseUrl: flags.databaseUrl ?? process.env.DATABASE_URL, dataDir: flags.dataDir, rows: flags.rows ?? dashboardDemoRows, schema: flags.schema});
}
