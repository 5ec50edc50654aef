import type {Database} from './ports.js';
import {InjectedFailure, rowsToFill} from './backfill.js';
import {ZdmError} from './errors.js';
import type {ExecutorEvent} from './events.js';
import {withLockRetry, type LockPolicy} from './lock-retry.js';
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
	batchSize: number;
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
 * Walk the key in batches, as the backfill did, and stop at the first batch with a mismatch. Each
 * batch is a READ ONLY transaction of plain SELECTs (ACCESS SHARE, no row locks): writers never
 * wait for it. Rows written meanwhile are kept in step by the sync trigger, and so still match.
 */
export async function runVerify(run: VerifyRun): Promise<void> {
	const {db, step} = run;
	const spec = step.verify!;
	const size = Math.max(100, run.batchSize);
	const rowsTotal = await rowsToFill(db, spec.schema, spec.table);
	const started = performance.now();
	let rowsDone = 0;
	let after: string | null = null;
	const timeout = `${Math.round(run.lock.lockTimeoutMs)}ms`;
	if (run.injectFailure) throw new InjectedFailure(step.number);
	for (;;) {
		// As in the backfill: on PGlite, let signals, keys and the simulated application in between batches.
		await new Promise(resolve => setImmediate(resolve));
		await run.gate?.();
		if (run.signal?.aborted) throw new ZdmError('interrupted', `interrupted during the verify of step ${step.number}; it starts over next time`, 'run the same command again to resume');
		const batchStarted = performance.now();
		const from: string | null = after;
		type Checked = {rows: number; lastKey: string; mismatches: Mismatch[]} | undefined;
		const batch: Checked = await withLockRetry(
			run.lock,
			async () =>
				db.transaction(async (tx): Promise<Checked> => {
					await tx.query('SET TRANSACTION READ ONLY');
					await tx.query(`SET LOCAL lock_timeout = '${timeout}'`);
					const bound = await tx.query<{rows: number; last_key: string | null}>(from === null ? spec.firstBound : spec.nextBound, from === null ? [size] : [from, size]);
					const found = bound.rows[0];
					if (!found || found.rows === 0 || found.last_key === null) return undefined;
					const checked = await tx.query<Mismatch & Record<string, unknown>>(from === null ? spec.firstCheck : spec.nextCheck, from === null ? [found.last_key] : [from, found.last_key]);
					return {rows: found.rows, lastKey: found.last_key, mismatches: checked.rows};
				}),
			async ({attempt, waitedMs}) => run.onLockWait(attempt, waitedMs),
		);
		if (!batch) return;
		if (batch.mismatches.length > 0) throw new VerifyMismatch(step, describe(batch.mismatches));
		rowsDone += batch.rows;
		after = batch.lastKey;
		const elapsed = (performance.now() - started) / 1000;
		const rowsPerSecond = elapsed > 0 ? rowsDone / elapsed : 0;
		const total = Math.max(rowsTotal, rowsDone);
		run.emit({type: 'batch', step, rowsDone, rowsTotal: total, rowsPerSecond, etaMs: rowsPerSecond > 0 ? ((total - rowsDone) / rowsPerSecond) * 1000 : 0, batchSize: size, batchMs: performance.now() - batchStarted, fromKey: from, toKey: batch.lastKey});
		if (batch.rows < size) return;
	}
}
