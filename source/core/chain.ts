import {ZdmError} from './errors.js';
import {isActive, type MigrationPhase} from './phase.js';
import type {PlanFile} from './plan-file.js';
import {shortHash} from './sql.js';

/*
 * A directory of migrations is the history (pgroll's `migrate`, Alembic's revision chain): its
 * files in name order, each applied once, each recording the one before it. This module decides,
 * from the files and the database's history alone, what a `migrate DIR` must do, or why it must
 * refuse before changing anything. Pure: it reads no file and no database.
 */

export interface ChainFile {
	id: string;
	/** As given, to name it in messages: DIR/002_add_column.yaml. */
	path: string;
	/** The file name, which orders the chain. */
	name: string;
	plan: PlanFile;
}

/** A migration the database has started or completed (not rolled back), oldest first. */
export interface AppliedMigration {
	id: string;
	phase: MigrationPhase;
	fingerprint: string;
	/** The file name it was applied from, when `migrate` applied it. */
	sourceFile?: string;
	/** `zdm-tui baseline`: the schema as it was, recorded without running anything. */
	baseline: boolean;
	/** Started and stopped before contract, as `migrate` leaves the last migration: nothing left to do until it completes. */
	startedOnly: boolean;
}

/** What a migration is run to: COMPLETE, or started (expand and migrate done) for the new application to roll out. */
export type ChainTarget = 'complete' | 'started';

export interface ChainEntry {
	file: ChainFile;
	/** The migration before it in the history; undefined for the first. */
	parent?: string;
	/** Already started on the database: it resumes where it stopped. */
	resume: boolean;
	target: ChainTarget;
}

/** The fingerprint of a plan's meaning (its canonical JSON): the same however the file is laid out. */
export const fingerprint = (plan: PlanFile) => shortHash(plan.canonical);

/** File names in the order migration tools run them (001_…, 002_…): by code unit, as `lint` walks a directory. */
export const byName = (a: {name: string}, b: {name: string}) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const refusal = (message: string, hint: string) => new ZdmError('bad-input', message, hint);

/**
 * The history that counts: from the newest baseline on (a baseline restarts the history, as
 * pgroll's does), oldest first.
 */
export function currentHistory<T extends AppliedMigration>(applied: T[]): T[] {
	const baseline = applied.findLastIndex(migration => migration.baseline);
	return baseline < 0 ? applied : applied.slice(baseline);
}

/**
 * The files a baseline stands for: when its own file is not in the directory, every file whose id
 * sorts up to the baseline's is history from before it, never read or run (pgroll's baseline
 * skips them too). `history` is the current history (from the newest baseline on).
 */
export function baselineCovers(history: AppliedMigration[], ids: ReadonlySet<string>): (id: string) => boolean {
	const baseline = history[0]?.baseline ? history[0] : undefined;
	return id => baseline !== undefined && !ids.has(baseline.id) && id <= baseline.id;
}

/**
 * What `migrate DIR` does: the migrations to run, in order, each with its parent and how far it
 * goes. Refuses (exit 2, one line naming the file) a directory that disagrees with the database:
 * an applied migration whose file is gone or was edited since, or a new file that sorts before
 * an applied one. `complete`: the last migration runs to COMPLETE too.
 */
export function planChain(dir: string, files: ChainFile[], applied: AppliedMigration[], complete: boolean): ChainEntry[] {
	const sorted = [...files].sort(byName);
	const byId = new Map<string, ChainFile>();
	for (const file of sorted) {
		const other = byId.get(file.id);
		if (other) throw refusal(`${other.path} and ${file.path} are both migration ${file.id}`, 'keep one file per migration');
		byId.set(file.id, file);
	}

	const history = currentHistory(applied);
	let lastApplied = -1;
	let lastAppliedFile: ChainFile | undefined;
	for (const migration of history) {
		const file = byId.get(migration.id);
		if (!file) {
			// A baseline's file is optional: it stands for the schema as it was, which nothing needs to run again.
			if (migration.baseline) continue;
			throw refusal(`${dir}/${migration.sourceFile ?? `${migration.id}.*`}: the file of applied migration ${migration.id} is gone`, 'restore it (zdm-tui pull DIR writes the applied history out as files); an applied migration stays in the history');
		}

		if (fingerprint(file.plan) !== migration.fingerprint) {
			throw refusal(`${file.path}: migration ${file.id} was applied from a different version of this file`, 'restore the file as it was applied (zdm-tui pull writes it back out), and put the change in a new migration that sorts after the last');
		}

		const position = sorted.indexOf(file);
		if (position < lastApplied) throw refusal(`${file.path} sorts before ${lastAppliedFile!.path}, but was applied after it`, 'rename the files back to the order they were applied in');
		lastApplied = position;
		lastAppliedFile = file;
	}

	const covered = baselineCovers(history, new Set(byId.keys()));
	const appliedIds = new Set(history.map(migration => migration.id));
	const pending = sorted.filter(file => !appliedIds.has(file.id) && !covered(file.id));
	const early = pending.find(file => sorted.indexOf(file) < lastApplied);
	if (early) {
		throw refusal(`${early.path} is new but sorts before ${lastAppliedFile!.path}, which is applied already`, `rename it to sort after ${lastAppliedFile!.name}: migrations apply in file-name order, once`);
	}

	const last = history.at(-1);
	const active = last && isActive(last.phase) ? last : undefined;
	const toRun: Array<{file: ChainFile; resume: boolean}> = [
		// Started and stopped before contract with nothing after it and no --complete: it is where migrate leaves it.
		...(active && !(active.startedOnly && pending.length === 0 && !complete) ? [{file: byId.get(active.id)!, resume: true}] : []),
		...pending.map(file => ({file, resume: false})),
	];
	let parent = active ? history.at(-2)?.id : last?.id;
	return toRun.map(({file, resume}, index): ChainEntry => {
		const entry: ChainEntry = {file, ...(parent === undefined ? {} : {parent}), resume, target: index < toRun.length - 1 || complete ? 'complete' : 'started'};
		parent = file.id;
		return entry;
	});
}

/**
 * A plan as its file holds it, in pgroll's fields: what the database keeps of each migration and
 * `pull` writes back out. No id: a file in a migrations directory takes it from its name.
 */
export function planDocument(plan: PlanFile): Record<string, unknown> {
	const derivedTitle = plan.operations.map(op => op.kind).join(', ');
	return {
		...(plan.title === derivedTitle ? {} : {title: plan.title}),
		...(plan.versionSchema === undefined ? {} : {version_schema: plan.versionSchema}),
		operations: plan.operations.map(op => ({[op.kind]: op.body})),
	};
}
