import type {AppliedMigration} from '../core/chain.js';
import type {MigrationPhase} from '../core/phase.js';
import type {Step} from '../core/plan.js';
import type {Queryable} from '../core/ports.js';
import {hasStateSchema} from './state.js';

/*
 * The history in zdm's schema (#11): which migration came before which, the file each was
 * applied from, and the plan itself, so `pull` can write the history back out as files.
 */

/** A plan document as a plan file holds it (pgroll's fields): what `pull` writes. */
export type PlanDocument = Record<string, unknown>;

/** A migration of the history, as stored: its row, and whether it is started and stopped before contract. */
export interface HistoryMigration extends AppliedMigration {
	document?: PlanDocument;
	parent?: string;
}

interface Row {
	id: string;
	phase: MigrationPhase;
	fingerprint: string;
	source_file?: string | null;
	baseline?: boolean;
	plan_document?: PlanDocument | string | null;
	parent?: string | null;
	steps: Array<Pick<Step, 'phase' | 'status'>> | string | null;
}

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

/** Started, nothing failed or undone, and every step before contract executed. */
function startedOnly(phase: MigrationPhase, steps: Array<Pick<Step, 'phase' | 'status'>>): boolean {
	if (phase !== 'EXPANDING' && phase !== 'MIGRATING' && phase !== 'CONTRACTING') return false;
	if (steps.some(step => step.status === 'failed' || step.status === 'rolled_back')) return false;
	return steps.every(step => step.phase === 'CONTRACTING' ? step.status === 'pending' : step.status === 'executed');
}

/**
 * The migrations of the schema that are started or complete (not pending, not rolled back),
 * oldest first. Reads a state schema of any age (to_jsonb: a column an older zdm-tui did not
 * have is simply absent) and creates nothing: a refusal must leave the database as it was.
 */
export async function readAppliedHistory(db: Queryable, schema: string): Promise<HistoryMigration[]> {
	if (!(await hasStateSchema(db))) return [];
	const {rows} = await db.query<{row: Row | string}>(
		`SELECT to_jsonb(m) || jsonb_build_object('steps', (SELECT COALESCE(jsonb_agg(jsonb_build_object('phase', s.spec->>'phase', 'status', s.status) ORDER BY s.number), '[]') FROM zdm.steps s WHERE s.migration_id = m.id)) AS row
		   FROM zdm.migrations m
		  WHERE m.phase NOT IN ('PENDING', 'ROLLED_BACK') AND COALESCE(to_jsonb(m)->>'base_schema', 'public') = $1
		  ORDER BY m.started_at, m.id`,
		[schema],
	);
	return rows.map(({row: raw}) => {
		const row = json(raw);
		const steps = json(row.steps ?? []);
		return {
			id: row.id,
			phase: row.phase,
			fingerprint: row.fingerprint,
			baseline: row.baseline === true,
			startedOnly: startedOnly(row.phase, steps),
			...(row.source_file ? {sourceFile: row.source_file} : {}),
			...(row.plan_document ? {document: json(row.plan_document)} : {}),
			...(row.parent ? {parent: row.parent} : {}),
		};
	});
}

/** The plan a migration started from, as its file said it: kept for `pull`. */
export async function recordPlanDocument(db: Queryable, id: string, document: PlanDocument): Promise<void> {
	await db.query('UPDATE zdm.migrations SET plan_document = $2::jsonb WHERE id = $1', [id, JSON.stringify(document)]);
}

/** Where a migration sits in the history: the one before it, and the file `migrate DIR` applied it from. */
export async function recordChainLink(db: Queryable, id: string, link: {parent?: string; sourceFile: string}): Promise<void> {
	await db.query('UPDATE zdm.migrations SET parent = $2, source_file = $3 WHERE id = $1', [id, link.parent ?? null, link.sourceFile]);
}

export interface Baseline {
	id: string;
	title: string;
	schema: string;
	fingerprint: string;
	document: PlanDocument;
}

/**
 * The schema as it is, recorded as a COMPLETE migration that ran nothing: the start of the
 * history. No version schema (it made none); the next migration's parent.
 */
export async function saveBaseline(tx: Queryable, baseline: Baseline): Promise<void> {
	await tx.query(
		`INSERT INTO zdm.migrations (id, title, phase, fingerprint, base_schema, version_schema, completed_at, baseline, plan_document)
		 VALUES ($1, $2, 'COMPLETE', $3, $4, NULL, now(), true, $5::jsonb)`,
		[baseline.id, baseline.title, baseline.fingerprint, baseline.schema, JSON.stringify(baseline.document)],
	);
	await tx.query("INSERT INTO zdm.history (migration_id, phase, message) VALUES ($1, 'COMPLETE', 'Baseline recorded: the schema as it was, nothing run')", [baseline.id]);
}
