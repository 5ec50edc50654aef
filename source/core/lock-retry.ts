import {sqlState, type Queryable} from './ports.js';
import {ZdmError} from './errors.js';

export interface Blocker {
	pid: number;
	seconds: number;
	state: string;
	query: string;
}

export interface LockPolicy {
	/** How long one attempt may wait in the lock queue (ahead of the application's queries). */
	lockTimeoutMs: number;
	/** Give up after waiting this long in all, across attempts. */
	maxLockWaitMs: number;
	/** Ctrl-C / SIGTERM: stop waiting for the lock (nothing of the attempt was applied). */
	signal?: AbortSignal;
}

export const defaultLockPolicy: LockPolicy = {lockTimeoutMs: 500, maxLockWaitMs: 60_000};

/** Who holds a lock on a table, from pg_locks and pg_stat_activity, for showing while we retry. */
export async function findBlockers(db: Queryable, schema: string, table: string): Promise<Blocker[]> {
	try {
		const {rows} = await db.query<{pid: number; seconds: number | string; state: string | null; query: string | null}>(
			`SELECT DISTINCT a.pid, extract(epoch FROM now() - COALESCE(a.xact_start, a.query_start))::float8 AS seconds, a.state, left(a.query, 60) AS query
			   FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			  WHERE l.relation = to_regclass(format('%I.%I', $1::text, $2::text)) AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND l.granted AND a.pid <> pg_backend_pid()
			    AND a.application_name IS DISTINCT FROM 'zdm-tui'
			  ORDER BY seconds DESC LIMIT 5`,
			[schema, table],
		);
		return rows.map(row => ({pid: row.pid, seconds: Number(row.seconds), state: row.state ?? '', query: (row.query ?? '').replace(/\s+/g, ' ')}));
	} catch {
		return [];
	}
}

/**
 * Cancel autovacuum on a table (or its partitions) before a step takes a lock on it, and say which workers.
 *
 * WHY? After a backfill rewrites every row, autovacuum starts on the table and holds SHARE UPDATE
 * EXCLUSIVE for seconds. Every contract step conflicts with it, and queued behind it, each
 * attempt holds up the application's writes for a whole lock_timeout. PostgreSQL itself cancels
 * an autovacuum that blocks a lock request, but only after deadlock_timeout (1 s), longer than
 * an attempt waits. So zdm does what PostgreSQL would, at once: the autovacuum runs again later.
 * Never one that prevents wraparound (PostgreSQL does not cancel those either); only a superuser
 * may signal autovacuum workers, so for other roles this finds nothing and the retries wait.
 */
export async function cancelAutovacuum(db: Queryable, schema: string, table: string): Promise<number[]> {
	try {
		// WHY a materialized CTE and CASE? The planner orders a scan's filters as it likes: beside
		// the others, pg_cancel_backend() ran before backend_type was checked, cancelling everyone.
		const {rows} = await db.query<{pid: number}>(
			`WITH RECURSIVE tree AS (
			   SELECT to_regclass(format('%I.%I', $1::text, $2::text))::oid AS relid
			   UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.relid),
			 vacuuming AS MATERIALIZED (
			   SELECT DISTINCT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
			    WHERE a.backend_type = 'autovacuum worker' AND a.query NOT LIKE '%(to prevent wraparound)%'
			      AND l.relation IN (SELECT relid FROM tree) AND l.granted
			      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
			 SELECT v.pid FROM vacuuming v
			  WHERE CASE WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN pg_cancel_backend(v.pid) ELSE false END`,
			[schema, table],
		);
		return rows.map(row => row.pid);
	} catch {
		return [];
	}
}

/** Wait, but wake at once when the signal fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise(resolve => {
		const done = () => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		};

		const timer = setTimeout(done, ms);
		signal?.addEventListener('abort', done, {once: true});
	});
}

const interrupted = () =>
	new ZdmError('interrupted', 'interrupted while waiting for a lock; the statement that waited was rolled back and the state is saved', 'run the same command again to resume');

/** The server dropped our connection (terminated backend, restart, network): nothing in flight was kept. */
export function isConnectionLoss(error: unknown): boolean {
	const state = sqlState(error);
	if (state && (state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03')) return true;
	const code = error && typeof error === 'object' && 'code' in error ? String((error as {code: unknown}).code) : '';
	if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
	const message = error instanceof Error ? error.message : '';
	return /^Connection terminated|^Client has encountered a connection error|not queryable/i.test(message);
}

/**
 * WHY retry instead of waiting? A DDL statement queued behind a long transaction blocks every
 * query that arrives after it. A short lock_timeout gives the queue back at once; we wait aside
 * (backoff with jitter) and try again, until the total budget is spent.
 */
export async function withLockRetry<T>(
	policy: LockPolicy,
	attempt: () => Promise<T>,
	onWait: (info: {attempt: number; waitedMs: number; nextDelayMs: number}) => Promise<void> | void,
): Promise<T> {
	const started = Date.now();
	for (let tries = 1; ; tries++) {
		try {
			return await attempt();
		} catch (error) {
			if (sqlState(error) !== '55P03') throw error;
			if (policy.signal?.aborted) throw interrupted();
			const waitedMs = Date.now() - started;
			if (waitedMs >= policy.maxLockWaitMs) {
				throw new ZdmError(
					'lock-timeout',
					`could not get the lock after ${tries} attempts over ${(waitedMs / 1000).toFixed(1)} s: another transaction holds the table`,
					'end the long transaction (see the blockers shown) or raise --max-lock-wait',
				);
			}

			const nextDelayMs = Math.min(2000, 50 * 2 ** Math.min(tries, 6)) * (0.5 + Math.random() / 2);
			await onWait({attempt: tries, waitedMs, nextDelayMs});
			await sleep(Math.min(nextDelayMs, Math.max(0, policy.maxLockWaitMs - waitedMs)), policy.signal);
			if (policy.signal?.aborted) throw interrupted();
		}
	}
}

/**
 * A read of the table outside a step's own statements (its size, its row count), under the same
 * short lock_timeout and retries: even pg_relation_size() takes a lock, and behind a held ACCESS
 * EXCLUSIVE it would otherwise wait for as long as that is held, past --max-lock-wait.
 */
export async function readUnderLockTimeout<T>(
	db: {transaction<R>(work: (tx: Queryable) => Promise<R>): Promise<R>},
	policy: LockPolicy,
	read: (tx: Queryable) => Promise<T>,
	onWait: (info: {attempt: number; waitedMs: number; nextDelayMs: number}) => Promise<void> | void,
): Promise<T> {
	return withLockRetry(
		policy,
		async () =>
			db.transaction(async tx => {
				await tx.query(`SET LOCAL lock_timeout = '${Math.round(policy.lockTimeoutMs)}ms'`);
				return read(tx);
			}),
		onWait,
	);
}
