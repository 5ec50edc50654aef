import {readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import type {Catalog} from '../core/catalog.js';
import {ZdmError} from '../core/errors.js';
import {hasErrors, lintPlan, lintSqlFile, type Finding} from '../core/lint/index.js';
import {defaultPgVersion, type LintContext} from '../core/lint/rule.js';
import type {Database} from '../db/database.js';
import type {Io} from './io.js';
import {lintFormats, reportLines, type LintFormat} from './lint-report.js';
import {baseSchema, wholeNumber, type CommandFlags} from './options.js';

const planExtensions = /\.(ya?ml|json)$/i;
const lintable = /\.(sql|ya?ml|json)$/i;

/** The files to lint: each path as given, a directory's lintable files by name, depth first. */
export function lintTargets(paths: string[]): string[] {
	return paths.flatMap(path => {
		let isDirectory: boolean;
		try {
			isDirectory = statSync(path).isDirectory();
		} catch {
			throw new ZdmError('bad-input', `${path}: no such file or directory`, 'give plan files, .sql files or directories of them');
		}

		if (!isDirectory) return [path];
		const found = walk(path);
		if (found.length === 0) throw new ZdmError('bad-input', `${path}: no .sql, .yaml, .yml or .json files in it`, 'point lint at the directory that holds your migrations');
		return found;
	});
}

function walk(dir: string): string[] {
	// Sorted by name, as migration tools order their files (001_…, 002_…); hidden entries skipped.
	const entries = readdirSync(dir, {withFileTypes: true})
		.filter(entry => !entry.name.startsWith('.'))
		.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	return entries.flatMap(entry => (entry.isDirectory() ? walk(join(dir, entry.name)) : entry.isFile() && lintable.test(entry.name) ? [join(dir, entry.name)] : []));
}

/** What a database adds: the catalog for exact findings, function volatility, the server's version. */
interface Known extends Pick<LintContext, 'volatility' | 'pgVersion'> {
	db: Database;
	catalog: Catalog;
}

async function readKnown(flags: CommandFlags): Promise<Known | undefined> {
	if (!flags.databaseUrl && !flags.dataDir) return undefined;
	// Loaded only here: linting without a database must not load a driver, let alone PGlite.
	const [{openDatabase}, {readCatalog}, {readFunctionVolatility, serverMajorVersion}, {requireBaseSchema}] = await Promise.all([import('../db/open.js'), import('../db/catalog.js'), import('../db/lint-catalog.js'), import('../db/base-schema.js')]);
	const db = await openDatabase({databaseUrl: flags.databaseUrl, dataDir: flags.dataDir, rows: 0, schema: flags.schema});
	try {
		await requireBaseSchema(db, baseSchema(flags));
		return {db, catalog: await readCatalog(db, baseSchema(flags)), volatility: await readFunctionVolatility(db), pgVersion: await serverMajorVersion(db)};
	} catch (error) {
		await db.close();
		throw error;
	}
}

async function lintPlanFile(path: string, text: string, known: Known | undefined, context: Omit<LintContext, 'file'>, allow: string[], schema: string): Promise<Finding[]> {
	// Loaded for plan files only: a run over .sql files needs neither the YAML nor the plan schema.
	const [{parsePlanText}, {compilePlanWithParser}, {assumedCatalog}, {operationPositions}] = await Promise.all([
		import('../core/plan-file.js'),
		import('../core/compile.js'),
		import('../core/lint/assumed-catalog.js'),
		import('../core/plan-positions.js'),
	]);
	const file = parsePlanText(text, path);
	let compiled;
	try {
		compiled = await compilePlanWithParser(file, known?.catalog ?? assumedCatalog(file, schema));
		if (known) {
			const {validateFragments} = await import('../core/validate.js');
			await validateFragments(known.db, compiled.fragments);
		}
	} catch (error) {
		if (error instanceof ZdmError) throw new ZdmError(error.code, `${path}: ${error.message}`, error.hint);
		throw error;
	}

	return lintPlan({...context, file, plan: compiled.plan, positions: operationPositions(text)}, allow);
}

/**
 * `zdm-tui lint PATH…`: plan files, .sql files and directories of them, one verdict per file.
 * Exit 1 when any file has an error. Without --database-url no database is opened: tables the
 * files do not create are taken to exist, large and busy.
 */
export async function lint(paths: string[], flags: CommandFlags, io: Io): Promise<number> {
	const format = (flags.json ? 'json' : (flags.format ?? 'text')) as LintFormat;
	if (!lintFormats.includes(format)) throw new ZdmError('bad-input', `--format ${flags.format} is not a lint format`, `use one of ${lintFormats.join(', ')}`);
	const pgVersion = wholeNumber('pg-version', flags.pgVersion, 9, 99);
	const files = lintTargets(paths);
	const known = await readKnown(flags);
	try {
		const context = {catalog: known?.catalog, volatility: known?.volatility, pgVersion: pgVersion ?? known?.pgVersion ?? defaultPgVersion};
		let failed = false;
		for (const path of files) {
			const text = readText(path);
			const findings = planExtensions.test(path)
				? await lintPlanFile(path, text, known, context, flags.allow, baseSchema(flags))
				: await lintSqlFile(path, text, {...context, assumeInTransaction: flags.assumeInTransaction}, flags.allow);
			failed ||= hasErrors(findings);
			for (const line of reportLines(path, findings, format)) io.out(line);
		}

		return failed ? 1 : 0;
	} finally {
		await known?.db.close();
	}
}

function readText(path: string): string {
	try {
		const text = readFileSync(path, 'utf8');
		if (text.includes('\u0000')) throw new ZdmError('bad-input', `${path}: the file is binary`, 'give plan files or .sql files');
		return text;
	} catch (error) {
		if (error instanceof ZdmError) throw error;
		throw new ZdmError('bad-input', `${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path and its permissions');
	}
}
