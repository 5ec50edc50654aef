import {readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {baselineCovers, byName, currentHistory, planChain, type ChainEntry, type ChainFile} from '../core/chain.js';
import {compilePlanWithParser} from '../core/compile.js';
import {ZdmError} from '../core/errors.js';
import {assumedCatalog} from '../core/lint/assumed-catalog.js';
import {lintPlan, type Finding} from '../core/lint/index.js';
import type {ExecutorEvent} from '../core/events.js';
import type {MigrationPhase} from '../core/phase.js';
import {fileId, readPlanFile, validatePlan} from '../core/plan-file.js';
import {readAppliedHistory, recordChainLink, type HistoryMigration} from '../db/chain-state.js';
import type {Database} from '../db/database.js';
import {refuseOnLintErrors} from '../commands/prepare.js';
import {openMigration, type MigrationFlags, type OpenMigration} from './open-migration.js';

/*
 * A directory of migrations on a database (#11), for `migrate DIR` and the dashboard over a
 * release alike: read the files, hold them against the history the database keeps, lint what is
 * pending, then open each migration in turn through the same open-migration service `run` uses.
 * The caller drives each one's executor, step by step or to its target, then opens the next.
 */

const migrationFile = /\.(ya?ml|json|sql)$/i;

/** The directory's migration files (.yaml, .yml, .json and .sql, not hidden, not in subdirectories), by name. */
function listFiles(dir: string): string[] {
	let isDirectory = false;
	try {
		isDirectory = statSync(dir).isDirectory();
	} catch {}

	if (!isDirectory) throw new ZdmError('bad-input', `${dir}: no such directory`, 'give the directory that holds your migrations, e.g. zdm-tui migrate db/migrations');
	const names = readdirSync(dir, {withFileTypes: true})
		.filter(entry => entry.isFile() && !entry.name.startsWith('.') && migrationFile.test(entry.name))
		.map(entry => ({name: entry.name}))
		.sort(byName)
		.map(entry => entry.name);
	if (names.length === 0) throw new ZdmError('bad-input', `${dir}: no .yaml, .yml, .json or .sql files in it`, 'point it at the directory that holds your migrations');
	return names;
}

/** A .sql migration, converted as `zdm-tui convert` prints it. */
async function readSqlMigration(path: string): Promise<ReturnType<typeof validatePlan>> {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		throw new ZdmError('plan-file', `${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'check the file and its permissions');
	}

	if (text.includes('\u0000')) throw new ZdmError('plan-file', `${path}: the file is binary, not SQL`, 'give .sql files of SQL statements');
	const {convertSql, conversionDocument} = await import('../core/convert/index.js');
	return validatePlan(conversionDocument(await convertSql(text, path)), path);
}


/**
 * Every migration file of the directory, read and validated; .sql files converted. Reads no
 * database. `covered`: files a baseline stands for, left unread (they may be another tool's).
 */
export async function readChainFiles(dir: string, covered: (id: string) => boolean = () => false): Promise<ChainFile[]> {
	const files: ChainFile[] = [];
	for (const name of listFiles(dir)) {
		const path = join(dir, name);
		const id = fileId(name);
		if (covered(id)) continue;
		const plan = /\.sql$/i.test(name) ? await readSqlMigration(path) : readPlanFile(path);
		if (plan.id !== id) {
			throw new ZdmError('plan-file', `${path}: its id ${plan.id} is not its file name`, `in a migrations directory the file name is the id: remove the id (or name) field, or rename the file to ${plan.id}${name.slice(id.length)}`);
		}

		files.push({id, path, name, plan});
	}

	return files;
}

export interface ChainOptions {
	dir: string;
	/** Run the last migration to COMPLETE too, instead of leaving it started. */
	complete: boolean;
	/** Lint rules acknowledged (their errors become warnings). */
	allow: string[];
	/** The base schema whose history it is (default public). */
	schema?: string;
}

export interface Chain {
	dir: string;
	files: ChainFile[];
	/** What the database has applied, oldest first. */
	history: HistoryMigration[];
	/** What runs, in order: a started migration resumed first, then every pending file. */
	entries: ChainEntry[];
	/** Each pending file's lint findings (none is an error, or the chain was refused). */
	findings: Map<string, Finding[]>;
}

/**
 * The directory against the database: refused (exit 2, nothing changed) if they disagree or a
 * pending file has a lint error; otherwise what will run. Reads; changes nothing.
 */
export async function readChain(db: Database, options: ChainOptions): Promise<Chain> {
	const history = await readAppliedHistory(db, options.schema ?? 'public');
	const files = await readChainFiles(options.dir, baselineCovers(currentHistory(history), new Set(listFiles(options.dir).map(fileId))));
	const entries = planChain(options.dir, files, history, options.complete);
	const findings = new Map<string, Finding[]>();
	// Every pending file before the first change. WHY against an assumed catalog? A later file
	// changes tables the earlier ones have not changed yet; each is linted again, against the real
	// catalog, as it opens.
	for (const {file, resume} of entries) {
		if (resume) continue;
		let found: Finding[];
		try {
			const compiled = await compilePlanWithParser(file.plan, assumedCatalog(file.plan, options.schema));
			found = await lintPlan({file: file.plan, plan: compiled.plan}, options.allow);
		} catch (error) {
			if (error instanceof ZdmError) throw new ZdmError(error.code, `${file.path}: ${error.message}`, error.hint);
			throw error;
		}

		refuseOnLintErrors(file.path, found);
		findings.set(file.id, found);
	}

	return {dir: options.dir, files, history, entries, findings};
}

export interface OpenChainMigration extends OpenMigration {
	entry: ChainEntry;
	/** 0-based, among the chain's entries. */
	position: number;
	total: number;
	/** Where its run stops: before contract for the last one left started; undefined to run to COMPLETE. */
	stopBefore?: MigrationPhase;
}

/**
 * Open one migration of the chain (resumed, or compiled and linted against the database as it
 * is now) and record its place in the history. The caller drives `executor` (to `stopBefore`)
 * and then calls `release`.
 */
export async function openChainEntry(db: Database, chain: Chain, entry: ChainEntry, options: {flags: MigrationFlags; signal: AbortSignal; confirm?: (id: string) => Promise<void>; onFindings?: (findings: Finding[]) => void}): Promise<OpenChainMigration> {
	const opened = await openMigration(db, {
		path: entry.file.path,
		file: entry.file.plan,
		flags: options.flags,
		signal: options.signal,
		refuseLintErrors: true,
		onFindings: options.onFindings,
		confirm: options.confirm,
	});
	try {
		await recordChainLink(db, entry.file.id, {parent: entry.parent, sourceFile: entry.file.name});
	} catch (error) {
		await opened.release();
		throw error;
	}

	return {
		...opened,
		// After a rollback the migration starts afresh, and takes its place in the history again.
		async restart() {
			const executor = await opened.restart();
			await recordChainLink(db, entry.file.id, {parent: entry.parent, sourceFile: entry.file.name});
			return executor;
		},
		entry,
		position: chain.entries.indexOf(entry),
		total: chain.entries.length,
		...(entry.target === 'started' ? {stopBefore: 'CONTRACTING' as const} : {}),
	};
}

/** An executor event of one migration of the chain, saying which migration it belongs to. */
export type ChainEvent = ExecutorEvent & {migration: string; position: number; total: number};

/** Listen to an opened chain migration's executor, each event labelled with its migration; returns the unsubscribe. */
export function followEntry(opened: OpenChainMigration, listener: (event: ChainEvent) => void): () => void {
	return opened.executor.on(event => listener({...event, migration: opened.entry.file.id, position: opened.position, total: opened.total}));
}
