import type {Database} from './ports.js';
import {tid} from './backfill-sql.js';
import {InjectedFailure, towardTarget} from './backfill.js';
import {ZdmError} from './errors.js';
import type {ExecutorEvent} from './events.js';
import {readUnderLockTimeout, type LockPolicy} from './lock-retry.js';
import type {Step} from './plan.js';
import {printable} from './sql.js';

/**
 * A verify step found rows the new shape does not hold as it should. Contract is refused, and
 * the migration stays started (executor.ts): the data needs a look, not a rollback of everything.
 */
export class VerifyMismatch extends ZdmError {
	constructor(step: Step, detail: string) {
		const spec = step.verify!;
		super(
			'step-failed',
			`verify refuses to contract: "${spec.table}"."${spec.column}" does not match ${spec.oldColumn ? `"${spec.oldColumn}" through up or down` : 'up'} at ${detail}`,
			'fix those rows (or the sync), then run complete again; --skip-verify contracts anyway',
		);
	}
}

export interface VerifyRun {
	db: Database;
	step: Step;
	lock: LockPolicy;
	/** Rows per range as the backfill ended (or as fixed by hand), and whether fixed. */
	batchSize: number;
	fixed: boolean;
	targetBatchMs: number;
	signal?: AbortSignal;
	injectFailure: boolean;
	/** The dashboard's pause, as the backfill has it. */
	gate?: () => Promise<void>;
	emit: (event: ExecutorEvent) => void;
	onLockWait: (attempt: number, waitedMs: number) => Promise<void>;
}

interface Mismatch {
	key: string;
	new_value: string | null;
	up_value: string | null;
	old_value?: string | null;
	down_value?: string | null;
}

const shownValue = (value: string | null | undefined) => (value === null || value === undefined ? 'NULL' : `'${printable(value.length > 60 ? `${value.slice(0, 60)}…` : value)}'`);

function describe(rows: Mismatch[]): string {
	return rows
		.map(row => `key ${printable(row.key)} (new ${shownValue(row.new_value)}, up ${shownValue(row.up_value)}${'old_value' in row ? `, old ${shownValue(row.old_value)}, down ${shownValue(row.down_value)}` : ''})`)
		.join('; ');
}

/**
 * Read the table in ranges of pages, and stop at the first range with a mismatch. Each range is
 * a READ ONLY transaction of one plain SELECT (ACCESS SHARE, no row locks): writers never wait
 * for it. Rows written meanwhile are kept in step by the sync trigger, and so still match. The
 * ranges grow or shrink toward the backfill's batch duration: on PGlite, where one backend
 * serves everyone, the application waits for each of them.
 */
export async function runVerify(run: VerifyRun): Promise<void> {
	const {db, step} = run;
	const spec = step.verify!;
	const countPages = async () =>
		readUnderLockTimeout(db, run.lock, async tx => (await tx.query<{pages: number}>(spec.pages, [spec.relation])).rows[0]!.pages, async ({attempt, waitedMs}) => run.onLockWait(attempt, waitedMs));
	let pagesTotal = await countPages();
	const started = performance.now();
	let rowsDone = 0;
	let page = 0;
	// The first range is small; then the rows per page it read (a fixed --batch-size) or the time
	// it took (adaptive) sizes the next.
	let rowsPerPage = 1;
	let pages = firstPages;
	if (run.injectFailure) throw new InjectedFailure(step.number);
	for (;;) {
		if (page >= pagesTotal) {
			// Pages appended meanwhile hold rows the sync trigger wrote; read them too.
			pagesTotal = await countPages();
			if (page >= pagesTotal) return;
		}

		// As in the backfill: on PGlite, let signals, keys and the simulated application in between batches.
		await new Promise(resolve => setImmediate(resolve));
		await run.gate?.();
		if (run.signal?.aborted) throw new ZdmError('interrupted', `interrupted during the verify of step ${step.number}; it starts over next time`, 'run the same command again to resume');
		const batchStarted = performance.now();
		const [from, to] = [page, page + pages];
		const batch = await readUnderLockTimeout(
			db,
			run.lock,
			async tx => {
				await tx.query('SET TRANSACTION READ ONLY');
				const {rows} = await tx.query<{rows: number; mismatches: Mismatch[] | null}>(spec.check, [tid(from), tid(to)]);
				return rows[0]!;
			},
			async ({attempt, waitedMs}) => run.onLockWait(attempt, waitedMs),
		);
		if (batch.mismatches && batch.mismatches.length > 0) throw new VerifyMismatch(step, describe(batch.mismatches.slice(0, 3)));
		const batchMs = performance.now() - batchStarted;
		page = to;
		rowsDone += batch.rows;
		const elapsed = (performance.now() - started) / 1000;
		const rowsPerSecond = elapsed > 0 ? rowsDone / elapsed : 0;
		// The rows still to read, by the rows per page read so far: a backfill leaves a dead version
		// of every row behind, so the planner's count per page is far off until the next ANALYZE.
		const total = Math.max(rowsDone, Math.round((rowsDone * pagesTotal) / page));
		run.emit({type: 'batch', step, rowsDone, rowsTotal: total, rowsPerSecond, etaMs: rowsPerSecond > 0 ? ((total - rowsDone) / rowsPerSecond) * 1000 : 0, batchSize: batch.rows, batchMs, fromKey: `page ${from}`, toKey: `page ${to - 1}`});
		if (batch.rows > 0) rowsPerPage = batch.rows / (to - from);
		pages = run.fixed
			? Math.max(1, Math.round(run.batchSize / rowsPerPage))
			: Math.max(1, Math.min(maxVerifyPages, Math.round(pages * towardTarget(run.targetBatchMs, batchMs))));
	}
}

const firstPages = 8;
/** 1 GB of table per range at most: a bound on one statement, far above what the target allows. */
const maxVerifyPages = 131_072;
