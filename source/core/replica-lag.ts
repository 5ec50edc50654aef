import type {Queryable} from './ports.js';

/**
 * What the throttle needs from a streaming replica: how far it has replayed the primary's WAL.
 * db/replica.ts implements it over a connection of its own; the core never opens one.
 */
export interface ReplicaPort {
	/** Where it is, safe to print: never a password. */
	readonly label: string;
	/** pg_last_wal_replay_lsn() as a byte position; throws when the replica cannot be read. */
	replayedLsn(): Promise<bigint>;
	close(): Promise<void>;
}

/** One replica's lag as last measured: undefined lagMs when it could not be read. */
export interface ReplicaLag {
	replica: string;
	lagMs?: number;
	error?: string;
}

/** What a throttle tells the world after a measurement (the executor adds the step). */
export interface LagReport {
	replicas: ReplicaLag[];
	maxLagMs: number;
	/** The backfill waits now. */
	throttled: boolean;
	/** Time spent waiting so far in this backfill. */
	waitedMs: number;
}

export interface ThrottleFigures {
	maxLagMs: number;
	/** The highest lag measured, any replica. */
	peakLagMs: number;
	waitedMs: number;
	/** How many times the backfill stopped for lag. */
	waits: number;
}

/** "16/B374D848" → a byte position. */
export function parseLsn(text: string): bigint {
	const match = /^([\dA-F]+)\/([\dA-F]+)$/i.exec(text.trim());
	if (!match) throw new Error(`not a WAL position: ${text}`);
	return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** The primary's flushed WAL position: what a replica can have received. */
export async function primaryFlushedLsn(db: Queryable): Promise<bigint> {
	const {rows} = await db.query<{lsn: string}>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
	return parseLsn(rows[0]!.lsn);
}

/**
 * When the primary's WAL reached each position, as sampled: a replica's lag is how long ago the
 * primary wrote the oldest WAL the replica has not replayed yet.
 *
 * WHY positions and not pg_last_xact_replay_timestamp()? That timestamp is the last replayed
 * commit's: on an idle primary it grows for ever though the replica is caught up. A replica that
 * has replayed everything the primary flushed has no lag, however old its last commit; one that
 * has not is behind by the age of the first WAL it lacks. No heartbeat writes, no clock shared
 * between servers. The age is known to within one sampling interval (a batch, or a poll while
 * waiting): the WAL was written between the sample before and the one that first saw it.
 */
export class WalTimeline {
	private samples: Array<{at: number; lsn: bigint}> = [];

	record(lsn: bigint, at: number) {
		const last = this.samples.at(-1);
		// Keep the first time each position was seen: that is the WAL's age.
		if (!last || lsn > last.lsn) this.samples.push({at, lsn});
	}

	/** The replay lag of a replica at `replayed`, now. */
	lagMs(replayed: bigint, now: number): number {
		const firstUnreplayed = this.samples.find(sample => sample.lsn > replayed);
		return firstUnreplayed ? Math.max(0, now - firstUnreplayed.at) : 0;
	}

	/** Forget positions every replica has replayed, but the latest (it tells "caught up" from "behind"). */
	forgetUpTo(replayed: bigint) {
		const keepFrom = this.samples.findIndex(sample => sample.lsn > replayed);
		this.samples = keepFrom === -1 ? this.samples.slice(-1) : this.samples.slice(Math.max(0, keepFrom - 1));
	}
}

const sleep = async (ms: number, signal?: AbortSignal) =>
	new Promise<void>(resolve => {
		const timer = setTimeout(done, ms);
		function done() {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		}

		signal?.addEventListener('abort', done, {once: true});
	});

export interface ThrottleOptions {
	primary: Queryable;
	replicas: ReplicaPort[];
	maxLagMs: number;
	report: (report: LagReport) => void;
	/** How often lag is measured while waiting. */
	pollMs?: number;
	/** While not waiting, a lag report goes out at most this often (--json stays readable). */
	reportEveryMs?: number;
	signal?: AbortSignal;
	now?: () => number;
}

/**
 * Between batches, holds the backfill while any replica replays more than maxLagMs behind the
 * primary. Workers share each measurement: one round trip to the primary and one to each replica.
 * A replica that cannot be read counts as too far behind: the backfill waits rather than guess.
 */
export class ReplicaThrottle {
	private readonly timeline = new WalTimeline();
	private measuring?: Promise<boolean>;
	private throttledSince?: number;
	private waitedMs = 0;
	private waits = 0;
	private peakLagMs = 0;
	private lastReport = -Infinity;
	private lastLags: ReplicaLag[] = [];
	private readonly now: () => number;

	constructor(private readonly options: ThrottleOptions) {
		this.now = options.now ?? (() => performance.now());
	}

	/**
	 * Resolves when every replica is within the limit: true at once, false after waiting (so the
	 * caller looks at its pause gate again before going on). Returns early when the signal fires.
	 */
	async admit(): Promise<boolean> {
		if (await this.measure()) return true;
		const pollMs = this.options.pollMs ?? Math.min(250, Math.max(20, this.options.maxLagMs / 4));
		do {
			await sleep(pollMs, this.options.signal);
			if (this.options.signal?.aborted) return false;
		} while (!(await this.measure()));
		return false;
	}

	/** The figures so far as a report, whether or not one went out lately (the backfill's end). */
	reportNow() {
		this.options.report({replicas: this.lastLags, maxLagMs: this.options.maxLagMs, throttled: this.throttledSince !== undefined, waitedMs: this.figures().waitedMs});
	}

	figures(): ThrottleFigures {
		const waiting = this.throttledSince === undefined ? 0 : this.now() - this.throttledSince;
		return {maxLagMs: this.options.maxLagMs, peakLagMs: this.peakLagMs, waitedMs: this.waitedMs + waiting, waits: this.waits};
	}

	/** One shared measurement; true when every replica is within the limit. */
	private async measure(): Promise<boolean> {
		this.measuring ??= this.measureOnce().finally(() => {
			this.measuring = undefined;
		});
		return this.measuring;
	}

	private async measureOnce(): Promise<boolean> {
		const {replicas, maxLagMs} = this.options;
		// The primary first: WAL it flushed after this sample is not yet owed by any replica.
		this.timeline.record(await primaryFlushedLsn(this.options.primary), this.now());
		const replayed = await Promise.all(
			replicas.map(async replica => {
				try {
					return {replica: replica.label, lsn: await replica.replayedLsn()};
				} catch (error) {
					return {replica: replica.label, error: (error instanceof Error ? error.message : String(error)).split('\n')[0]!};
				}
			}),
		);
		const now = this.now();
		const lags: ReplicaLag[] = replayed.map(each => (each.lsn === undefined ? {replica: each.replica, error: each.error} : {replica: each.replica, lagMs: this.timeline.lagMs(each.lsn, now)}));
		const positions = replayed.flatMap(each => (each.lsn === undefined ? [] : [each.lsn]));
		if (positions.length === replicas.length && positions.length > 0) this.timeline.forgetUpTo(positions.reduce((min, lsn) => (lsn < min ? lsn : min)));
		this.lastLags = lags;
		for (const lag of lags) this.peakLagMs = Math.max(this.peakLagMs, lag.lagMs ?? 0);
		const clear = lags.every(lag => lag.lagMs !== undefined && lag.lagMs <= maxLagMs);
		const wasThrottled = this.throttledSince !== undefined;
		if (!clear && !wasThrottled) {
			this.throttledSince = now;
			this.waits++;
		} else if (clear && wasThrottled) {
			this.waitedMs += now - this.throttledSince!;
			this.throttledSince = undefined;
		}

		if (!clear || wasThrottled || now - this.lastReport >= (this.options.reportEveryMs ?? 1000)) {
			this.lastReport = now;
			this.options.report({replicas: lags, maxLagMs, throttled: !clear, waitedMs: this.figures().waitedMs});
		}

		return clear;
	}
}

/**
 * The streaming replicas the primary knows of, where this role may see them (pg_stat_replication
 * shows every row, but names only to a privileged role). Empty when none, or when unreadable.
 */
export async function attachedReplicas(db: Queryable): Promise<string[]> {
	try {
		const {rows} = await db.query<{name: string | null}>("SELECT COALESCE(NULLIF(application_name, ''), client_addr::text, 'pid ' || pid) AS name FROM pg_stat_replication");
		return rows.map(row => row.name ?? 'a replica');
	} catch {
		return [];
	}
}
