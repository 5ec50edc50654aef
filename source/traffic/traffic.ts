import type {Database, Queryable, Session} from '../db/database.js';
import {ApplicationVersion, KeyPool, type RequestKind, type VersionTable} from './app-version.js';
import {VersionRecorder, verdictOf, type VersionMetrics, type VersionState, type Verdict} from './metrics.js';
import {followMigration, type FollowedExecutor} from './follow.js';
import type {TableShape} from './shape.js';
import {seededRandom, type VersionName} from './values.js';

export interface TrafficOptions {
	/** Requests per second, for each version. */
	rate: number;
	/** Relative weights of the request kinds (default 6 reads : 3 updates : 1 insert). */
	mix?: Partial<Record<RequestKind, number>>;
	/** Connections per version on a server (default 1); on PGlite requests in flight at once (default 4). */
	workers?: number;
	/** The longest wait zero downtime allows; default the lock timeout + 1 s (1.5 s). */
	thresholdMs?: number;
	lockTimeoutMs?: number;
	seed?: number;
	/** How often subscribers hear of new counts, at most. */
	publishMs?: number;
}

export interface TrafficSnapshot {
	rate: number;
	/** Real concurrent connections (a server) or requests interleaved on one backend (PGlite). */
	concurrent: boolean;
	running: boolean;
	tables: string[];
	versions: Record<VersionName, VersionMetrics>;
	verdict: Verdict;
}

const tickMs = 10;

/** One version's schedule, backlog and connections. */
class VersionRunner {
	state: VersionState = 'waiting';
	readonly recorder: VersionRecorder;
	readonly backlog: number[] = [];
	clockStart = 0;
	issued = 0;
	sequence = 0;
	wakers: Array<() => void> = [];
	workers: Array<Promise<void>> = [];
	draining?: Promise<void>;

	constructor(readonly app: ApplicationVersion) {
		this.recorder = new VersionRecorder(app.name);
	}

	wake() {
		const wakers = this.wakers;
		this.wakers = [];
		for (const wake of wakers) wake();
	}
}

/**
 * Two application versions talking to the database while a migration runs: v1 knows the old
 * shape, v2 the new one. Each sends reads, updates and inserts at a steady rate; a request's wait
 * is measured from when it was due, so a request stuck behind a lock counts all of its wait, and
 * so do the ones queued behind it. Read it like an external store: subscribe / getSnapshot.
 */
export class Traffic {
	private readonly runners: Record<VersionName, VersionRunner>;
	private readonly random: () => number;
	private readonly weights: Array<[RequestKind, number]>;
	private readonly listeners = new Set<() => void>();
	private readonly thresholdMs: number;
	private snapshot: TrafficSnapshot;
	private ticker?: NodeJS.Timeout;
	private publisher?: NodeJS.Timeout;
	private dirty = false;
	private running = false;

	private constructor(
		private readonly db: Database,
		readonly shapes: TableShape[],
		/** The schema each version puts on its search_path: its version schema, or the base schema. */
		readonly schemas: Record<VersionName, string>,
		keys: KeyPool[],
		private readonly options: TrafficOptions,
	) {
		this.random = seededRandom(options.seed ?? 0x5eed);
		const mix = {read: 6, update: 3, insert: 1, ...options.mix};
		this.weights = (Object.entries(mix) as Array<[RequestKind, number]>).filter(([, weight]) => weight > 0);
		this.thresholdMs = options.thresholdMs ?? (options.lockTimeoutMs ?? 500) + 1000;
		// Each version uses the tables it knows, under its own names; both share a table's key pool.
		const tables = (name: VersionName): VersionTable[] =>
			shapes.flatMap((shape, index) => {
				const known = shape[name];
				return known ? [{shape, table: known.table, key: known.key, columns: known.columns, keys: keys[index]!}] : [];
			});
		this.runners = {v1: new VersionRunner(new ApplicationVersion('v1', tables('v1'), schemas.v1)), v2: new VersionRunner(new ApplicationVersion('v2', tables('v2'), schemas.v2))};
		this.snapshot = this.build();
	}

	/** Read the key ranges the versions pick from; nothing runs until start(). */
	static async create(db: Database, shapes: TableShape[], schemas: Record<VersionName, string>, options: TrafficOptions): Promise<Traffic> {
		const keys = await Promise.all(shapes.map(async shape => KeyPool.load(db, shape)));
		return new Traffic(db, shapes, schemas, keys, options);
	}

	/** The application version objects, for writing a known row as v1 or v2 (tests, demos). */
	version(name: VersionName): ApplicationVersion {
		return this.runners[name].app;
	}

	/** v1 goes live at once; v2 waits for deploy() (expand must have added its columns). */
	start() {
		if (this.running) return;
		this.running = true;
		this.ticker = setInterval(() => this.admitDue(), tickMs);
		this.ticker.unref();
		this.publisher = setInterval(() => this.dirty && this.publish(), this.options.publishMs ?? 250);
		this.publisher.unref();
		this.deploy('v1');
	}

	/** Put a version in front of users: from now on it sends requests. */
	deploy(name: VersionName) {
		const runner = this.runners[name];
		if (!this.running || runner.state === 'live' || runner.state === 'retired') return;
		runner.state = 'live';
		runner.clockStart = performance.now();
		runner.issued = 0;
		runner.recorder.live(true);
		// On PGlite the workers share one backend: several only let more requests wait their turn
		// between two batches, as many connections of a real application would.
		const count = Math.max(1, this.options.workers ?? (this.db.concurrent ? 1 : 4));
		for (let index = 0; index < count; index++) runner.workers.push(this.work(runner));
		this.publish();
	}

	/** Resolves once the version has answered a request (it is up), or after timeoutMs. */
	async ready(name: VersionName, timeoutMs = 5000): Promise<void> {
		const runner = this.runners[name];
		const started = performance.now();
		while (this.running && runner.recorder.requests === 0 && runner.state !== 'retired' && performance.now() - started < timeoutMs) {
			await new Promise(resolve => setTimeout(resolve, 10));
		}
	}

	/**
	 * Take a version out of service: it sends nothing more, requests in flight finish. Before
	 * contract v1 must be retired — contract removes what it needs.
	 */
	async retire(name: VersionName): Promise<void> {
		const runner = this.runners[name];
		if (runner.state === 'retired') return runner.draining;
		runner.state = 'retired';
		runner.backlog.length = 0;
		runner.recorder.live(false);
		runner.wake();
		runner.draining = Promise.all(runner.workers).then(() => {});
		this.publish();
		return runner.draining;
	}

	/**
	 * Follow a migration: v2 is deployed once expand is done (its version schema exists), and is
	 * retired when the migration fails (its rollback removes v2's schema). With
	 * retireBeforeContract (what `run` does), v1 is retired as contract starts.
	 */
	follow(executor: FollowedExecutor, options: {retireBeforeContract: boolean}): () => void {
		return followMigration(this, executor, options);
	}

	/** Stop every version, wait for requests in flight, and return the final figures. */
	async stop(): Promise<TrafficSnapshot> {
		clearInterval(this.ticker);
		clearInterval(this.publisher);
		await Promise.all([this.retire('v1'), this.retire('v2')]);
		this.running = false;
		this.publish();
		return this.snapshot;
	}

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	/** The same object until something changes, as useSyncExternalStore requires. */
	getSnapshot = (): TrafficSnapshot => this.snapshot;

	private build(): TrafficSnapshot {
		const now = performance.now();
		const versions = {
			v1: this.runners.v1.recorder.metrics(this.runners.v1.state, this.columnsOf('v1'), now),
			v2: this.runners.v2.recorder.metrics(this.runners.v2.state, this.columnsOf('v2'), now),
		};
		return {
			rate: this.options.rate,
			concurrent: this.db.concurrent,
			running: this.running,
			tables: this.shapes.map(shape => shape.table),
			versions,
			verdict: verdictOf([versions.v1, versions.v2], this.thresholdMs),
		};
	}

	private columnsOf(name: VersionName): string[] {
		return this.runners[name].app.tables.flatMap(table => table.columns.map(column => (this.shapes.length > 1 ? `${table.table}.${column.name}` : column.name)));
	}

	private publish() {
		this.dirty = false;
		this.snapshot = this.build();
		for (const listener of this.listeners) listener();
	}

	/** Put every request that has come due on its version's backlog; past the cap it is shed. */
	admitDue() {
		const now = performance.now();
		const interval = 1000 / this.options.rate;
		const cap = Math.max(100, this.options.rate * 10);
		for (const runner of Object.values(this.runners)) {
			if (runner.state !== 'live') continue;
			const due = Math.floor((now - runner.clockStart) / interval) + 1;
			for (; runner.issued < due; runner.issued++) {
				if (runner.backlog.length >= cap) {
					runner.recorder.shed++;
					this.dirty = true;
				} else {
					runner.backlog.push(runner.clockStart + runner.issued * interval);
				}
			}

			if (runner.backlog.length > 0) runner.wake();
		}
	}

	private pickKind(): RequestKind {
		const total = this.weights.reduce((sum, [, weight]) => sum + weight, 0);
		let roll = this.random() * total;
		for (const [kind, weight] of this.weights) {
			roll -= weight;
			if (roll < 0) return kind;
		}

		return 'read';
	}

	/** One connection's loop: take the next due request, send it, record how long it waited. */
	private async work(runner: VersionRunner) {
		let session: Session | undefined;
		try {
			// As a real application connects: its own connection, its version schema on the path.
			session = await this.db.session({schema: runner.app.schema});
		} catch (error) {
			runner.recorder.record(0, error);
			return;
		}

		const connection: Queryable = session;
		try {
			while (runner.state !== 'retired') {
				if (runner.backlog.length === 0) {
					await new Promise<void>(resolve => runner.wakers.push(resolve));
					continue;
				}

				const due = runner.backlog.shift()!;
				const kind = this.pickKind();
				let failure: unknown;
				let sent = true;
				try {
					sent = await runner.app.request(connection, kind, this.random, ++runner.sequence);
				} catch (error) {
					failure = error ?? new Error('request failed');
				}

				if (sent) runner.recorder.record(performance.now() - due, failure);
				this.dirty = true;
			}
		} finally {
			await session.release();
		}
	}
}
