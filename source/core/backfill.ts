import type {BackfillBatch, Database, Queryable} from './ports.js';
import {batchSettings, beforeUpdateTriggers, recordBatch, setAside, tid} from './backfill-sql.js';
import {ZdmError} from './errors.js';
import type {ExecutorEvent} from './events.js';
import {readUnderLockTimeout, withLockRetry, type LockPolicy} from './lock-retry.js';
import type {Step} from './plan.js';
import {earlyTriggerPrefix, syncTriggerPrefix} from './operations/triggers.js';
import {attachedReplicas, ReplicaThrottle, type ReplicaPort} from './replica-lag.js';
import {qualified} from './sql.js';

export interface BackfillControl {
	/** Rows per batch now; the backfill adapts it toward targetBatchMs unless fixed. */
	batchSize: number;
	/** Hold each batch near this long: long enough to be efficient, short enough that writers barely wait. */
	targetBatchMs: number;
	/** A size set by hand (dashboard + / -) stops adaptation. */
	fixed: boolean;
	/** Sessions filling batches at once on a server; the embedded database has one connection. */
	workers: number;
	/** Resolves when the backfill may go on (the dashboard's pause). */
	gate?: () => Promise<void>;
	signal?: AbortSignal;
}

/**
 * The batch duration to aim for. WHY 30 ms on a server? A writer touching a row of the batch in
 * flight waits for its commit. Aimed at 50 ms, batches on a loaded two-core machine ran up to
 * 60 ms, and so did the longest write wait (measured under two unpaused writers, issue 12): 30 ms
 * keeps it under 50 ms, while per-batch costs (a transaction's round trips and commit) stay near
 * 2 % of the work on a server. WHY 30 ms on PGlite? There, one backend serves everyone: every
 * write waits for the batch in flight, not only writes to its rows.
 */
export const defaultTargetBatchMs = (_concurrent: boolean) => 30;
/**
 * Sessions filling batches at once on a server. WHY two? One UPDATE runs on one CPU: a single
 * session of short batches cannot match one big UPDATE, since every batch pays a commit. Two
 * sessions on consecutive ranges beat it (measured: 2.0 s against 2.7 s on 1M rows,
 * two cores), and each still holds its rows for one short batch. More rarely helps, and takes
 * CPU from the application.
 */
export const defaultServerWorkers = 2;
/** The replicas a backfill keeps within a lag, and whether zdm has warned about unthrottled ones. */
export interface ReplicaLagPolicy {
	replicas: ReplicaPort[];
	maxLagMs: number;
	/** Warn once per process that the primary streams to replicas nobody throttles for. */
	warnedUnthrottled: boolean;
}

/** WHY 1 s by default? gh-ost's default (--max-lag-millis 1500) is of that order: reads on a replica stay fresh enough, and short bursts of lag do not stop the backfill. */
export const defaultMaxLagMs = 1000;

/**
 * How much to grow or shrink the next batch so it takes about `targetMs`: multiplicative steps,
 * bounded so one slow batch cannot swing it wildly. The verify's ranges size themselves the same way.
 */
export const towardTarget = (targetMs: number, batchMs: number) => Math.min(2, Math.max(0.5, targetMs / Math.max(batchMs, 1)));
export const minBatch = 100;
export const maxBatch = 100_000;

export class InjectedFailure extends Error {
	constructor(step: number) {
		super(`injected failure at step ${step} (--fail-at)`);
	}
}

export interface BackfillRun {
	db: Database;
	migrationId: string;
	step: Step;
	lock: LockPolicy;
	control: BackfillControl;
	replicaLag: ReplicaLagPolicy;
	/** Fail after the first batch has committed, to prove a half-done backfill rolls back. */
	injectFailure: boolean;
	emit: (event: ExecutorEvent) => void;
	onLockWait: (attempt: number, waitedMs: number) => Promise<void>;
}

/** A batch handed to a session: its sequence number and its pages, from the first up to the end (exclusive). */
interface Batch {
	seq: number;
	from: number;
	to: number;
	/** Rows it was sized for. */
	size: number;
	/** The table's files its pages were read in. */
	files: string;
}

/** A transaction on a session of the backfill's own (its settings are the session's). */
async function inTransaction<T>(session: Queryable, work: (tx: Queryable) => Promise<T>): Promise<T> {
	await session.query('BEGIN');
	try {
		const result = await work(session);
		await session.query('COMMIT');
		return result;
	} catch (error) {
		// A lost connection cannot roll back, and needs not: the server has.
		await session.query('ROLLBACK').catch(() => {});
		throw error;
	}
}

/**
 * Ranges of pages a stopped run handed out but never committed: the gaps between recorded
 * batches. Batches are handed out over consecutive pages (a hole filled on a resume is recorded
 * later, under a new seq), so a gap in the pages is exactly a range whose batch never committed.
 * Only batches recorded in the table's present files count (see runBackfill).
 */
export function unrecordedRanges(recorded: Array<{afterKey: string | null; lastKey: string}>): Array<{from: number; to: number}> {
	const holes: Array<{from: number; to: number}> = [];
	let end = 0;
	for (const [from, to] of recorded.map(batch => [Number(batch.afterKey), Number(batch.lastKey)] as const).toSorted((a, b) => a[0] - b[0])) {
		if (from > end) holes.push({from: end, to: from});
		end = Math.max(end, to);
	}

	return holes;
}

/**
 * Fill the column in batches over ranges of the table's pages. Each batch is its own transaction
 * that also records itself, so a run killed at any moment resumes with exactly the unrecorded
 * ranges and no row is done twice. On a server, `control.workers` sessions fill consecutive
 * ranges at once.
 */
export async function runBackfill(run: BackfillRun): Promise<void> {
	const {db, step, control} = run;
	const spec = step.backfill!;
	if (!spec.pageBatch) {
		throw new ZdmError(
			'step-failed',
			`the backfill of step ${step.number} was planned by an earlier zdm-tui, which walked the key; this one fills ranges of pages`,
			'run rollback, then start the migration again with this version',
		);
	}

	const onLockWait = async ({attempt, waitedMs}: {attempt: number; waitedMs: number}) => run.onLockWait(attempt, waitedMs);
	const pagesNow = async (tx: Queryable) => (await tx.query<{pages: number; files: string}>(spec.pages, [spec.relation])).rows[0]!;
	const recorded = await db.state.backfillBatches(db, run.migrationId, step.number);
	let rowsDone = recorded.reduce((sum, batch) => sum + batch.rows, 0);
	// The table's pages and its rows, in one read: rows per page number, over every partition, is
	// the unit a batch's size in rows turns into pages.
	const start = await readUnderLockTimeout(db, run.lock, async tx => ({table: await pagesNow(tx), rows: await rowsToFill(tx, spec.schema, spec.table)}), onLockWait);
	let {table} = start;
	const rowsPerPage = Math.max(1, start.rows / Math.max(1, table.pages));
	const doneAtStart = rowsDone;
	const started = performance.now();
	const timeout = `${Math.round(run.lock.lockTimeoutMs)}ms`;

	const triggers = db.concurrent ? [] : await triggersToSetAside(db, spec.relation);
	const throttle = await replicaThrottle(run);
	let savedThrottle = {waitedMs: 0, waits: 0};
	/** Store what the throttle did since the last save, for `status`. */
	const saveThrottle = async () => {
		if (!throttle) return;
		const figures = throttle.figures();
		const delta = {...figures, waitedMs: figures.waitedMs - savedThrottle.waitedMs, waits: figures.waits - savedThrottle.waits};
		savedThrottle = figures;
		await db.state.addThrottleFigures(db, run.migrationId, step.number, delta);
	};

	const interrupted = () => new ZdmError('interrupted', `interrupted during the backfill of step ${step.number}; its finished batches are saved`, 'run the same command again to resume');
	/** The dashboard's pause, then the replicas' lag; a wait for either looks at the other again. */
	const mayGoOn = async () => {
		for (;;) {
			await control.gate?.();
			if (!throttle || (await throttle.admit())) return;
			await saveThrottle();
			if (control.signal?.aborted) throw interrupted();
		}
	};

	// Batches recorded in other files (the table was rewritten since) say nothing about these pages.
	const here = recorded.filter(batch => batch.pagesOf === table.files);
	let holes = unrecordedRanges(here);
	let nextPage = here.reduce((end, batch) => Math.max(end, Number(batch.lastKey)), 0);
	let nextSeq = (recorded.at(-1)?.seq ?? 0) + 1;
	let stopping = false;

	/** The next range to fill: a hole a stopped run left, else the pages after the last one handed out. */
	const claim = (): Batch | undefined => {
		if (stopping) return undefined;
		const hole = holes.shift();
		const from = hole?.from ?? nextPage;
		if (!hole && from >= table.pages) return undefined;
		const size = control.batchSize;
		const to = hole?.to ?? Math.min(table.pages, from + Math.max(1, Math.round(size / rowsPerPage)));
		if (!hole) nextPage = to;
		return {seq: nextSeq++, from, to, size, files: table.files};
	};

	/**
	 * Fill the batch and record it, in one transaction. Returns the rows it filled, or undefined
	 * when the table's files are no longer those its pages were read in (nothing is then filled).
	 */
	const fill = async (session: Queryable | undefined, batch: Batch): Promise<number | undefined> => {
		const work = async (tx: Queryable) => {
			// On PGlite the one connection is shared with the application: the settings are this transaction's.
			if (!session) await tx.query(batchSettings, [timeout, true]);
			for (const trigger of triggers) await tx.query(setAside(trigger.name, spec.relation));
			const {rowCount} = await tx.query(spec.pageBatch, [tid(batch.from), tid(batch.to), spec.relation, batch.files]);
			for (const trigger of triggers) await tx.query(trigger.definition);
			// Nothing filled: all done already, or the table was rewritten (then the UPDATE filled nothing).
			if (rowCount === 0 && (await pagesNow(tx)).files !== batch.files) return undefined;
			await tx.query(recordBatch, [run.migrationId, step.number, batch.seq, String(batch.from), String(batch.to), rowCount, batch.files]);
			return rowCount;
		};

		return session ? inTransaction(session, work) : db.transaction(work);
	};

	/**
	 * The table was rewritten (VACUUM FULL, CLUSTER) since its pages were read: its rows are on
	 * other pages now, so start the pages over. Rows already filled are skipped by the batch's
	 * "still empty" filter. WHY once, behind a promise? Every session's next batch finds the
	 * rewrite; a second start-over while the first reads the table would hand out its pages again.
	 */
	let startingOver: Promise<void> | undefined;
	const startOver = async (plannedIn: string) => {
		if (startingOver) return startingOver;
		if (plannedIn !== table.files) return;
		startingOver = (async () => {
			table = await readUnderLockTimeout(db, run.lock, pagesNow, onLockWait);
			holes = [];
			nextPage = 0;
		})().finally(() => {
			startingOver = undefined;
		});
		return startingOver;
	};

	const worker = async (session: Queryable | undefined) => {
		for (;;) {
			// WHY yield a macrotask? On PGlite every await is a microtask: without this, signals,
			// keypresses and timers (the simulated application) wait for the whole backfill.
			await new Promise(resolve => setImmediate(resolve));
			if (stopping) return;
			if (control.signal?.aborted) throw interrupted();
			await mayGoOn();
			const batch = claim();
			if (!batch) return;
			const batchStarted = performance.now();
			const rows = await withLockRetry(run.lock, async () => fill(session, batch), onLockWait);
			if (rows === undefined) {
				await startOver(batch.files);
				continue;
			}

			const batchMs = performance.now() - batchStarted;
			rowsDone += rows;
			// The rows still to fill, by the rows per page: the estimate grows or shrinks with what the pages held.
			const rowsTotal = rowsDone + Math.round(Math.max(0, table.pages - nextPage) * rowsPerPage);
			const elapsed = (performance.now() - started) / 1000;
			const rowsPerSecond = elapsed > 0 ? (rowsDone - doneAtStart) / elapsed : 0;
			run.emit({
				type: 'batch',
				step,
				rowsDone,
				rowsTotal,
				rowsPerSecond,
				etaMs: rowsPerSecond > 0 ? ((rowsTotal - rowsDone) / rowsPerSecond) * 1000 : 0,
				batchSize: batch.size,
				batchMs,
				fromKey: `page ${batch.from}`,
				toKey: `page ${batch.to - 1}`,
			});
			if (run.injectFailure) throw new InjectedFailure(step.number);
			if (!control.fixed) {
				control.batchSize = Math.round(Math.min(maxBatch, Math.max(minBatch, batch.size * towardTarget(control.targetBatchMs, batchMs))));
			}
		}
	};

	// WHY sessions of their own on a server? Their settings then hold for every batch. On PGlite
	// there is one connection, shared with the application, so the settings must stay inside each
	// batch's transaction.
	const workers = db.concurrent ? Math.max(1, control.workers) : 1;
	const sessions = db.concurrent ? await Promise.all(Array.from({length: workers}, async () => db.session())) : [undefined];
	try {
		await Promise.all(sessions.map(async session => session?.query(batchSettings, [timeout, false])));
		// One failing session stops the others after their batch in flight: every batch that
		// commits is recorded, so whatever happens next (resume or rollback) starts from the truth.
		const outcomes = await Promise.allSettled(
			sessions.map(async session =>
				worker(session).catch((error: unknown) => {
					stopping = true;
					throw error;
				}),
			),
		);
		const failed = outcomes.find(outcome => outcome.status === 'rejected');
		if (failed) throw failed.reason;
	} finally {
		await Promise.all(sessions.map(async session => session?.release()));
		if (throttle) {
			throttle.reportNow();
			await saveThrottle().catch(() => {});
		}
	}
}

/**
 * The sync triggers a batch on the embedded database drops and creates again (see
 * beforeUpdateTriggers): zdm's own, and only when they are the table's only BEFORE UPDATE row
 * triggers. Another one (the user's own) would have each row locked anyway, so nothing would be gained.
 */
async function triggersToSetAside(db: Database, relation: string): Promise<Array<{name: string; definition: string}>> {
	const found = await db.transaction(async tx => {
		await tx.query("SELECT set_config('search_path', 'pg_catalog', true)");
		return (await tx.query<{name: string; definition: string; own: boolean}>(beforeUpdateTriggers, [relation, [syncTriggerPrefix, earlyTriggerPrefix]])).rows;
	});
	return found.every(trigger => trigger.own) ? found.map(({name, definition}) => ({name, definition})) : [];
}

/**
 * How many rows the backfill will walk, for its progress and ETA. WHY an estimate on a large
 * table? count(*) reads the whole table before the first batch: a tenth of a second per million
 * rows (measured), on the critical path of every run. The planner's own estimate (rows per page
 * at the last ANALYZE, times the pages now) is close enough for a progress bar, and the total
 * grows with the rows done if it was low. Small or never analysed tables are counted.
 */
export async function rowsToFill(db: Queryable, schema: string, table: string): Promise<number> {
	const target = qualified(schema, table);
	const {rows} = await db.query<{estimate: number | null}>(
		`SELECT CASE WHEN c.reltuples > 0 AND c.relpages > 0 THEN (c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int))::float8 END AS estimate FROM pg_class c WHERE c.oid = $1::regclass`,
		[target],
	);
	const estimate = rows[0]?.estimate;
	if (estimate !== null && estimate !== undefined && estimate >= 100_000) return Math.round(estimate);
	const counted = await db.query<{count: number | string}>(`SELECT count(*) AS count FROM ${target}`);
	return Number(counted.rows[0]!.count);
}

/**
 * A throttle when replicas were given; without, a warning (once) when the primary streams to
 * replicas anyway: a backfill at full speed can leave them far behind.
 */
async function replicaThrottle(run: BackfillRun): Promise<ReplicaThrottle | undefined> {
	const {db, step, replicaLag: policy} = run;
	if (policy.replicas.length === 0) {
		if (db.concurrent && !policy.warnedUnthrottled) {
			policy.warnedUnthrottled = true;
			const replicas = await attachedReplicas(db);
			if (replicas.length > 0) run.emit({type: 'replicas-unthrottled', step, replicas});
		}

		return undefined;
	}

	await db.state.ensureThrottleRecord(db);
	return new ReplicaThrottle({
		primary: db,
		replicas: policy.replicas,
		maxLagMs: policy.maxLagMs,
		signal: run.control.signal,
		report: report => run.emit({type: 'replica-lag', step, ...report}),
	});
}
