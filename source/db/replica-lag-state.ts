import type {ThrottleFigures} from '../core/replica-lag.js';
import type {Queryable} from './database.js';

/**
 * What the replica lag throttle did to each backfill step, summed over the runs that filled it,
 * so `status` can show it after the process is gone. WHY its own table, created when first
 * needed? A zdm schema made before the throttle existed has none, and migrations without
 * --replica never need it.
 */
const table = `CREATE TABLE IF NOT EXISTS zdm.backfill_throttle (
	migration_id text NOT NULL,
	step int NOT NULL,
	max_lag_ms int NOT NULL,
	peak_lag_ms int NOT NULL,
	waited_ms bigint NOT NULL,
	waits int NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (migration_id, step)
)`;

export async function ensureThrottleTable(db: Queryable): Promise<void> {
	await db.query(table);
}

/** Add one run's figures (since its last save) to the step's. */
export async function addThrottleFigures(db: Queryable, migrationId: string, step: number, figures: ThrottleFigures): Promise<void> {
	await db.query(
		`INSERT INTO zdm.backfill_throttle AS t (migration_id, step, max_lag_ms, peak_lag_ms, waited_ms, waits) VALUES ($1, $2, $3, $4, $5, $6)
		 ON CONFLICT (migration_id, step) DO UPDATE SET max_lag_ms = excluded.max_lag_ms, peak_lag_ms = greatest(t.peak_lag_ms, excluded.peak_lag_ms),
		   waited_ms = t.waited_ms + excluded.waited_ms, waits = t.waits + excluded.waits, updated_at = now()`,
		[migrationId, step, Math.round(figures.maxLagMs), Math.round(figures.peakLagMs), Math.round(figures.waitedMs), figures.waits],
	);
}

/** Each throttled backfill step of a migration, by step number; empty when none ever was. */
export async function throttleFigures(db: Queryable, migrationId: string): Promise<Map<number, ThrottleFigures>> {
	const {rows: exists} = await db.query<{ready: boolean}>("SELECT to_regclass('zdm.backfill_throttle') IS NOT NULL AS ready");
	if (!exists[0]?.ready) return new Map();
	const {rows} = await db.query<{step: number; max_lag_ms: number; peak_lag_ms: number; waited_ms: string | number; waits: number}>(
		'SELECT step, max_lag_ms, peak_lag_ms, waited_ms, waits FROM zdm.backfill_throttle WHERE migration_id = $1',
		[migrationId],
	);
	return new Map(rows.map(row => [row.step, {maxLagMs: row.max_lag_ms, peakLagMs: row.peak_lag_ms, waitedMs: Number(row.waited_ms), waits: row.waits}]));
}
