import type {Executor} from '../../core/executor.js';
import type {PlanFile} from '../../core/plan-file.js';
import type {Database} from '../../db/database.js';
import type {CommandFlags} from '../../commands/options.js';
import {prepareTraffic, trafficOptions, type Traffic, type TrafficOptions, type VersionName} from '../../traffic/index.js';
import type {DashboardStore} from '../state/store.js';

/**
 * Requests per second for each version when --traffic is not given: enough to see the figures
 * move, little enough that the embedded backfill, which shares PGlite's one backend, barely slows.
 */
export const dashboardTrafficRate = 20;

/**
 * The simulated v1 and v2 applications beside the dashboard's migration: started with it, fresh
 * again when a rolled-back migration starts afresh (v2 stays retired otherwise), stopped on quit.
 * Their figures reach the screen through the dashboard's store.
 */
export class DashboardTraffic {
	private traffic?: Traffic;
	private unfollow?: () => void;
	private unsubscribe?: () => void;
	private readonly options: TrafficOptions;

	constructor(
		private readonly db: Database,
		private file: PlanFile,
		flags: CommandFlags,
		private readonly store: DashboardStore,
	) {
		this.options = trafficOptions(flags, flags.traffic ?? dashboardTrafficRate);
	}

	/**
	 * Start both versions following this executor; the previous run's traffic stops first. In a
	 * release the next migration brings its own `file`: v1 then runs on the version schema the one
	 * just completed left (the previous v2, as after a deploy), v2 waits for the new one's expand.
	 */
	async begin(executor: Executor, file = this.file) {
		await this.end();
		this.file = file;
		if (this.options.rate === 0) return;
		const traffic = await prepareTraffic(this.db, this.file, executor.plan, this.options);
		// A plan that touches no table (raw SQL only) has nothing to simulate: no panel.
		if (traffic.shapes.length === 0) return;
		this.traffic = traffic;
		const publish = () => this.store.dispatch({type: 'traffic', snapshot: traffic.getSnapshot()});
		this.unsubscribe = traffic.subscribe(publish);
		traffic.start();
		// The dashboard asks the person to retire v1 before contract rather than doing it for them.
		this.unfollow = traffic.follow(executor, {retireBeforeContract: false});
		publish();
	}

	async retire(name: VersionName) {
		await this.traffic?.retire(name);
	}

	/** Stop sending, wait for the requests in flight; the last figures stay on screen. */
	async end() {
		const traffic = this.traffic;
		this.traffic = undefined;
		this.unfollow?.();
		this.unfollow = undefined;
		if (!traffic) return;
		await traffic.stop();
		this.unsubscribe?.();
		this.unsubscribe = undefined;
	}
}
