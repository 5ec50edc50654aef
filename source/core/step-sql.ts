import {sqlState, type Database, type Queryable} from './ports.js';
import {ZdmError} from './errors.js';
import {withLockRetry, type LockPolicy} from './lock-retry.js';
import type {Step} from './plan.js';
import {ident} from './sql.js';

/** What running a step's SQL needs from the executor. */
export interface StepSql {
	db: Database;
	/**
	 * The plan's base schema. A raw `sql` step runs with it alone on its search_path, as pgroll runs
	 * one, so the names it leaves unqualified are that schema's tables (zdm's own SQL qualifies every name).
	 */
	schema: string;
	lock: LockPolicy;
	onLockWait(step: Step, attempt: number, waitedMs: number): Promise<void>;
	/** Before each attempt at a step's lock: clear what should yield to it (autovacuum). */
	beforeLock?(step: Step): Promise<void>;
}

/** Statements in one transaction under a short lock_timeout, retried with backoff; `then` commits with them. */
export async function inTransaction(run: StepSql, step: Step, statements: string[], script: boolean, then: (tx: Queryable) => Promise<void>): Promise<void> {
	await withLockRetry(
		run.lock,
		async () => {
			await run.beforeLock?.(step);
			return run.db.transaction(async tx => {
				await tx.query(`SET LOCAL lock_timeout = '${Math.round(run.lock.lockTimeoutMs)}ms'`);
				if (script) await tx.query("SELECT set_config('search_path', $1, true)", [ident(run.schema)]);
				for (const statement of statements) {
					if (script) await tx.script(statement);
					else await tx.query(statement);
				}

				await then(tx);
			});
		},
		async ({attempt, waitedMs}) => run.onLockWait(step, attempt, waitedMs),
	);
}

/**
 * Statements that may not run in a transaction (CREATE / DROP INDEX CONCURRENTLY).
 *
 * WHY one long wait instead of short retries? These queue behind no application query (SHARE
 * UPDATE EXCLUSIVE), but wait for every older transaction; retried after a timeout, a build would
 * find its own INVALID leftover and fail. So it waits once, up to --max-lock-wait, and a timeout
 * fails the step (whose rollback drops the leftover).
 */
export async function outsideTransaction(run: StepSql, step: Step, statements: string[]): Promise<void> {
	const waitMs = Math.round(Math.max(run.lock.lockTimeoutMs, run.lock.maxLockWaitMs));
	const session = await run.db.session();
	// Set for the session, and put back after: on PGlite the "session" is the one shared connection.
	const {rows} = await session.query<{path: string}>("SELECT current_setting('search_path') AS path");
	try {
		await session.query(`SET lock_timeout = '${waitMs}ms'`);
		await session.query("SELECT set_config('search_path', $1, false)", [ident(run.schema)]);
		for (const statement of statements) {
			try {
				await session.query(statement);
			} catch (error) {
				if (sqlState(error) !== '55P03') throw error;
				throw new ZdmError(
					'lock-timeout',
					`step ${step.number} waited ${(waitMs / 1000).toFixed(1)} s for older transactions to end (a concurrent index build waits for every one)`,
					'end the long transactions, or raise --max-lock-wait',
				);
			}
		}
	} finally {
		await session.query("SELECT set_config('search_path', $1, false)", [rows[0]!.path]).catch(() => {});
		await session.release();
	}
}

/** Run a step's rollback SQL, the same way its forward SQL ran. */
export async function undo(run: StepSql, step: Step): Promise<void> {
	if (step.rollback.length === 0) return;
	if (step.kind === 'concurrent') await outsideTransaction(run, step, step.rollback);
	else await inTransaction(run, step, step.rollback, step.kind === 'script', async () => {});
}
