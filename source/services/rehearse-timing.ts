import type {Step} from '../core/plan.js';
import type {Queryable} from '../db/database.js';
import {loadMigration} from '../db/state.js';
import type {CopyReport} from './rehearse.js';

/*
 * A rehearsal's step times, and what they suggest at the target's size. Only work that walks the
 * rows grows with them (a backfill, an index build, a validation, a type rewrite); a catalog-only
 * change takes as long on a big table as on a small one, once it has its lock.
 */

export interface StepTiming {
	migration: string;
	number: number;
	description: string;
	status: Step['status'];
	/** "public.orders", when the step works on one table. */
	table?: string;
	ms: number;
	/** Whether its time grows with the table's rows. */
	grows: boolean;
	copyRows?: number;
	/** The target's estimate; null when the table was never analyzed. */
	productionRows?: number | null;
	/** ms × productionRows / copyRows, when both are known. */
	estimateMs?: number;
}

/** DDL that reads or rewrites every row: the rest only changes the catalog. */
const walksRows = /\bVALIDATE\s+CONSTRAINT\b|\bCREATE\s+(UNIQUE\s+)?INDEX\b|\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b/i;

export const growsWithRows = (step: Pick<Step, 'kind' | 'forward'>) => step.kind === 'backfill' || step.kind === 'verify' || step.kind === 'concurrent' || step.forward.some(sql => walksRows.test(sql));

/** Each executed step's time, extrapolated linearly to the target's row count of its table. */
export function extrapolate(migration: string, schema: string, steps: Step[], tables: CopyReport['tables']): StepTiming[] {
	return steps
		.filter(step => step.durationMs !== undefined && (step.status === 'executed' || step.status === 'rolled_back'))
		.map(step => {
			const where = step.backfill ? {schema: step.backfill.schema, table: step.backfill.table} : step.table ? {schema, table: step.table} : undefined;
			const rows = where && tables.find(table => table.schema === where.schema && table.table === where.table);
			const grows = growsWithRows(step);
			const ms = step.durationMs!;
			const timing: StepTiming = {migration, number: step.number, description: step.description, status: step.status, ms, grows, ...(where ? {table: `${where.schema}.${where.table}`} : {})};
			if (!grows || !rows) return timing;
			return {...timing, copyRows: rows.rows, productionRows: rows.production, ...(rows.production !== null && rows.rows > 0 ? {estimateMs: (ms * rows.production) / rows.rows} : {})};
		});
}

/** Read the steps of the migrations a rehearsal ran, and extrapolate them. */
export async function rehearsalTimings(db: Queryable, migrationIds: string[], report: CopyReport): Promise<StepTiming[]> {
	const timings: StepTiming[] = [];
	for (const id of migrationIds) {
		const migration = await loadMigration(db, id).catch(() => undefined);
		if (migration) timings.push(...extrapolate(id, migration.schema, migration.steps, report.tables));
	}

	return timings;
}

export function humanDuration(ms: number): string {
	if (ms < 1000) return `${Math.round(ms)} ms`;
	if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
	if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
	const hours = ms / 3_600_000;
	return hours < 48 ? `${hours.toFixed(1)} h` : `${Math.round(hours / 24)} days`;
}

export function humanRows(rows: number): string {
	if (rows >= 1e9) return `${Number((rows / 1e9).toFixed(1))} G`;
	if (rows >= 1e6) return `${Number((rows / 1e6).toFixed(1))} M`;
	if (rows >= 1e4) return `${Number((rows / 1e3).toFixed(0))} k`;
	return rows.toLocaleString('en');
}

/** "≈ 14 min at 50 M rows (linear from 10,000 rows)", or why there is no estimate. */
export function estimateText(timing: StepTiming): string {
	if (!timing.grows) return 'catalog only: as quick at any size';
	if (timing.copyRows === undefined) return 'grows with its table (no row count to scale by)';
	if (timing.productionRows === null || timing.productionRows === undefined) return `grows with ${timing.table}, never analyzed on the target`;
	if (timing.estimateMs === undefined) return `grows with ${timing.table}, empty in the copy`;
	return `≈ ${humanDuration(timing.estimateMs)} at ${humanRows(timing.productionRows)} rows (linear from ${timing.copyRows.toLocaleString('en')} rows)`;
}

export const timingCaveat = [
	'caveat: measured on the embedded database (one WASM process; a server is often faster),',
	'scaled linearly with rows: an order of magnitude, not a promise. Lock waits are not in it.',
];
