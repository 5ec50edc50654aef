import {progressPct} from '../core/plan.js';
import type {Database} from '../db/database.js';
import {backfilledRows, hasStateSchema, latestVersion, listMigrations, readHistory} from '../db/state.js';
import {throttleFigures} from '../db/replica-lag-state.js';
import {formatPlan, seconds, throttleLine} from './format.js';
import type {StoredMigration} from '../core/ports.js';
import type {Io} from './io.js';

/** Every migration (or one, by id), or those of one base schema when --schema is given. */
export async function status(db: Database, io: Io, json: boolean, id?: string, schema?: string): Promise<number> {
	// Reading status creates nothing: without zdm's schema there are simply no migrations.
	const migrations = (!(await hasStateSchema(db)) ? [] : await listMigrations(db)).filter(m => (id === undefined || m.id === id) && (schema === undefined || m.schema === schema));
	// A backfill stopped half-way (Ctrl-C, a crash) shows how far it got: a resume goes on from there.
	const backfilled = new Map(await Promise.all(migrations.map(async m => [m.id, await backfilledRows(db, m.id)] as const)));
	const rowsOf = (m: {id: string}, step: {number: number}) => backfilled.get(m.id)?.get(step.number) ?? 0;
	// What the replica lag throttle did to each backfill step, over every run that filled it.
	const throttled = new Map(await Promise.all(migrations.map(async m => [m.id, await throttleFigures(db, m.id)] as const)));
	const throttleOf = (m: {id: string}, step: {number: number}) => throttled.get(m.id)?.get(step.number);
	const rowsDone = (m: {id: string}, step: {number: number; kind: string}) => {
		if (step.kind !== 'backfill') return {};
		const replicaLag = throttleOf(m, step);
		return {rowsDone: rowsOf(m, step), ...(replicaLag ? {replicaLag} : {})};
	};
	if (json) {
		io.out(JSON.stringify({
			database: db.label,
			migrations: migrations.map(m => ({
				id: m.id,
				title: m.title,
				phase: m.phase,
				progress: Math.round(progressPct(m) * 10) / 10,
				schema: m.schema,
				versionSchema: m.versionSchema,
				startedAt: m.startedAt,
				updatedAt: m.updatedAt,
				...(m.completedAt ? {completedAt: m.completedAt} : {}),
				...(m.parent ? {parent: m.parent} : {}),
				...(m.baseline ? {baseline: true} : {}),
				phaseMs: phaseDurations(m),
				steps: m.steps.map(s => ({number: s.number, phase: s.phase, status: s.status, description: s.description, ...rowsDone(m, s)}))})),
		}));
		return 0;
	}

	if (migrations.length === 0) {
		io.out(`no migrations${schema === undefined ? '' : ` in schema ${schema}`} on ${db.label}`);
		return 0;
	}

	for (const m of migrations) {
		io.out(`${m.id.padEnd(20)} ${m.phase.padEnd(12)} ${(m.baseline ? 100 : progressPct(m)).toFixed(0).padStart(3)} %  ${m.title}  [${m.schema === 'public' ? '' : `schema ${m.schema}, `}${m.baseline ? 'baseline: nothing run' : `version schema ${m.versionSchema || '—'}${m.phase === 'ROLLED_BACK' ? ', dropped' : ''}`}]`);
		io.out(`${''.padEnd(20)} ${chainLine(m)}`);
		for (const step of m.steps.filter(s => s.kind === 'backfill' && s.status === 'running')) {
			io.out(`${''.padEnd(20)} step ${step.number} backfill stopped at ${rowsOf(m, step).toLocaleString('en-US')} rows; running it again resumes`);
		}

		for (const step of m.steps) {
			const figures = throttleOf(m, step);
			if (figures) io.out(`${''.padEnd(20)} ${throttleLine(step.number, figures)}`);
		}
	}

	if (id !== undefined && migrations[0]) {
		const m = migrations[0];
		for (const line of ['', ...formatPlan(m).slice(1)]) io.out(line);
		for (const entry of migrations.length > 0 ? await readHistory(db, id) : []) io.out(`${entry.at} [${entry.phase}] ${entry.message}`);
	}

	return 0;
}

/** How long each phase's steps took, in ms: what the migration spent, not the wait between start and complete. */
function phaseDurations(m: StoredMigration): Record<'expand' | 'migrate' | 'contract', number> {
	const sum = (phase: string) => Math.round(m.steps.filter(step => step.phase === phase).reduce((total, step) => total + (step.durationMs ?? 0), 0));
	return {expand: sum('EXPANDING'), migrate: sum('MIGRATING'), contract: sum('CONTRACTING')};
}

const when = (iso: string) => `${iso.replace('T', ' ').slice(0, 19)}Z`;

/** The history line under a migration: when it started and completed, each phase's time, and its parent. */
function chainLine(m: StoredMigration): string {
	const took = phaseDurations(m);
	const phases = m.baseline ? [] : [`expand ${seconds(took.expand)}`, `migrate ${seconds(took.migrate)}`, `contract ${seconds(took.contract)}`];
	return [`started ${when(m.startedAt)}`, `completed ${m.completedAt ? when(m.completedAt) : '—'}`, ...phases, ...(m.parent ? [`after ${m.parent}`] : [])].join(' · ');
}

/**
 * The schema applications should put on their search_path now: the newest started or complete
 * migration's version schema, or the base schema. A deploy script reads it (`--json` for tools).
 */
export async function latest(db: Database, io: Io, json: boolean, schema = 'public'): Promise<number> {
	const found = await latestVersion(db, schema);
	if (json) io.out(JSON.stringify({schema: found.schema, ...(found.migration ? {migration: found.migration.id, phase: found.migration.phase} : {})}));
	else io.out(found.schema);
	return 0;
}
