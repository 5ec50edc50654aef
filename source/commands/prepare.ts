import type {Catalog} from '../core/catalog.js';
import {compilePlanWithParser, type CompiledPlan} from '../core/compile.js';
import {ZdmError} from '../core/errors.js';
import {hasErrors, lintPlan, type Finding} from '../core/lint/index.js';
import {readPlanFile, type PlanFile} from '../core/plan-file.js';
import {validateFragments} from '../core/validate.js';
import {runChecks} from '../core/checks.js';
import type {Database} from '../db/database.js';
import {readCatalog} from '../db/catalog.js';
import {ident, shortHash} from '../core/sql.js';
import {hasStateSchema, loadMigration, type StoredMigration} from '../db/state.js';

export interface PreparedPlan extends CompiledPlan {
	file: PlanFile;
	findings: Finding[];
}

/**
 * Plan file → validated, compiled, linted plan. Reads the catalog of `schema` (the base schema);
 * changes nothing. `file`: already read from `path`.
 */
export async function preparePlan(db: Database, path: string, allow: string[] = [], file: PlanFile = readPlanFile(path), schema = 'public'): Promise<PreparedPlan> {
	const catalog: Catalog = await readCatalog(db, schema);
	let compiled: CompiledPlan;
	try {
		compiled = await compilePlanWithParser(file, catalog);
	} catch (error) {
		// Compile errors name the operation; prefix the file so the line stands alone.
		if (error instanceof ZdmError) throw new ZdmError(error.code, `${path}: ${error.message}`, error.hint);
		throw error;
	}

	try {
		await validateFragments(db, compiled.fragments);
		// Only once every expression and type is proved may the checks put them into a query.
		await runChecks(db, compiled.checks);
	} catch (error) {
		if (error instanceof ZdmError) throw new ZdmError(error.code, `${path}: ${error.message}`, error.hint);
		throw error;
	}

	// Raw sql operations are read by PostgreSQL's parser, loaded only for plans that have them.
	return {...compiled, file, findings: await lintPlan({file, plan: compiled.plan, catalog}, allow)};
}

/** run and start refuse a plan with lint errors unless each is allowed. */
export function refuseOnLintErrors(path: string, findings: Finding[]) {
	if (!hasErrors(findings)) return;
	const first = findings.find(finding => finding.severity === 'error')!;
	throw new ZdmError('validation', `${path}: lint ${first.rule}: ${first.message}`, `${first.hint}; or acknowledge it with --allow ${first.rule}`);
}

/**
 * The stored migration a plan file goes on with: one started or finished from this same plan. A
 * started migration resumes from its stored steps, since compiling again against today's catalog
 * would see its own new columns and refuse. Undefined when the plan starts afresh.
 */
export async function startedMigration(db: Database, file: PlanFile, schema = 'public'): Promise<StoredMigration | undefined> {
	const stored = (await hasStateSchema(db)) ? await loadMigration(db, file.id) : undefined;
	if (!stored || stored.phase === 'ROLLED_BACK' || stored.phase === 'PENDING') return undefined;
	// WHY refuse? Ids are unique per database: a second schema's run would take over the first one's record.
	if (stored.schema !== schema) {
		throw new ZdmError('bad-input', `migration ${file.id} belongs to schema ${ident(stored.schema)} (${stored.phase}), not ${ident(schema)}; migration ids are unique per database`, `give the plan another id for schema ${ident(schema)}, or run it with --schema ${stored.schema}`);
	}

	if (stored.fingerprint !== shortHash(file.canonical)) {
		throw new ZdmError('bad-input', `migration ${file.id} was started from a different plan file`, `roll it back first (zdm-tui rollback ${file.id}), or give the new plan another id`);
	}

	return stored;
}
