import type {Catalog} from './catalog.js';
import type {Check} from './checks.js';
import {loadSqlParser, SqlParserNotLoaded} from './lint/sql/parser.js';
import {compileOperation, prepareOperations} from './operations/index.js';
import type {Fragment} from './operations/operation.js';
import {stepPhases} from './phase.js';
import type {PlanFile} from './plan-file.js';
import {toSteps, type Plan, type StepSpec} from './plan.js';
import {shortHash} from './sql.js';
import {verifyForward} from './verify-sql.js';
import {previousVersionDrop, versionSchemaName, versionSchemaStep} from './versions.js';
import {workingCatalog} from './working-catalog.js';

/**
 * Merge every operation's final contract parts into one last step: dropping old columns is the
 * point of no return, so it happens in a single transaction after everything reversible.
 */
function mergeFinal(specs: StepSpec[]): StepSpec[] {
	const finals = specs.filter(spec => spec.final);
	if (finals.length <= 1) return [...specs.filter(spec => !spec.final), ...finals];
	const main = finals.find(spec => spec.operation >= 0) ?? finals[0]!;
	const merged: StepSpec = {
		phase: 'CONTRACTING',
		operation: main.operation,
		kind: 'ddl',
		final: true,
		irreversible: finals.some(spec => spec.irreversible),
		...(finals.some(spec => spec.irreversible) && finals.every(spec => !spec.irreversible || spec.retiredAtExpand) ? {retiredAtExpand: true} : {}),
		table: main.table,
		description: `Finish ${finals.length} operations: ${finals.map(spec => spec.description).join('; ')}`,
		forward: finals.flatMap(spec => spec.forward),
		rollback: finals.toReversed().flatMap(spec => spec.rollback),
		why: main.why,
	};
	return [...specs.filter(spec => !spec.final), merged];
}

/**
 * A verify step for every backfill that says how to verify it, and the backfills without that
 * part. WHY first in contract? It is read only and the last moment before the old shape goes:
 * a mismatch found there costs no index build and no validation, and `complete` starts with it.
 */
function liftVerifies(specs: StepSpec[]): {specs: StepSpec[]; verifies: StepSpec[]} {
	const verifies: StepSpec[] = [];
	const rest = specs.map(spec => {
		if (!spec.verify) return spec;
		const {verify, ...backfill} = spec;
		verifies.push({
			phase: 'CONTRACTING',
			operation: spec.operation,
			kind: 'verify',
			table: verify.table,
			description: verify.oldColumn
				? `Verify "${verify.column}" against "${verify.oldColumn}" (up and down) in batches`
				: `Verify "${verify.column}" holds up's value in every row, in batches`,
			forward: verifyForward(verify),
			rollback: [],
			verify,
			why: 'Before the point of no return, prove the new shape holds what the old one does: read-only batches, no lock beyond a read.',
		});
		return backfill;
	});
	return {specs: rest, verifies};
}

export interface CompiledPlan {
	plan: Plan;
	fragments: Fragment[];
	/** Run over the existing rows (read only) before the first step: see checks.ts. */
	checks: Check[];
}

/** Plan file + catalog → steps in expand, migrate, contract order. Pure: touches no database. */
export function compilePlan(file: PlanFile, catalog: Catalog): CompiledPlan {
	const versionSchema = versionSchemaName(catalog.schema, file.id, file.versionSchema);
	const working = workingCatalog(catalog);
	const specs: StepSpec[] = [];
	const fragments: Fragment[] = [];
	const checks: Check[] = [];
	const previousDrop = previousVersionDrop(catalog.previousVersion);
	// First in the contract's single transaction: the old version's views go before the columns they read.
	if (previousDrop.length > 0) {
		specs.push({
			phase: 'CONTRACTING',
			operation: -1,
			kind: 'ddl',
			final: true,
			description: `Drop the previous version schema "${catalog.previousVersion!.name}"`,
			forward: previousDrop,
			rollback: [],
			why: 'The application version that used it has been retired; its views would hold on to the old columns.',
		});
	}

	for (const [index, op] of file.operations.entries()) {
		const compiled = compileOperation(op, {migrationId: file.id, operation: index, catalog: working, versionSchema});
		specs.push(...compiled.steps);
		fragments.push(...compiled.fragments);
		checks.push(...(compiled.checks ?? []));
	}

	// The working catalog now holds every table as the new version knows it.
	specs.push(versionSchemaStep(working, catalog, versionSchema));

	// WHY all expands before any contract? A later operation's expand must never follow an earlier
	// one's contract: the old shape has to exist until every new shape is in place.
	const lifted = liftVerifies(specs);
	const ordered = stepPhases.flatMap(phase => [...(phase === 'CONTRACTING' ? lifted.verifies : []), ...lifted.specs.filter(spec => spec.phase === phase)]);
	return {
		plan: {
			id: file.id,
			title: file.title,
			schema: catalog.schema,
			versionSchema,
			steps: toSteps(mergeFinal(ordered)),
			phase: 'PENDING',
			fingerprint: shortHash(file.canonical),
		},
		fragments,
		checks,
	};
}

/**
 * compilePlan for a plan file: each operation prepares first (those that read SQL load PostgreSQL's
 * parser), and the parser is loaded too when the plan turns out to need it (a type change rebuilds
 * the old column's indexes, constraints and statistics from their definitions). Other plans never
 * load it (its WASM costs start-up time). Compiling is pure, so it simply runs again.
 */
export async function compilePlanWithParser(file: PlanFile, catalog: Catalog): Promise<CompiledPlan> {
	await prepareOperations(file);
	try {
		return compilePlan(file, catalog);
	} catch (error) {
		if (!(error instanceof SqlParserNotLoaded)) throw error;
	}

	await loadSqlParser();
	return compilePlan(file, catalog);
}
