import {compilePlan} from '../../source/core/compile.js';
import {lintPlan, type Finding} from '../../source/core/lint/index.js';
import {analyseSql} from '../../source/core/lint/sql/analysis.js';
import {loadSqlParser} from '../../source/core/lint/sql/parser.js';
import {prepareOperations} from '../../source/core/operations/index.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {lint} from '../../source/core/lint/index.js';

export type Operation = Record<string, Record<string, unknown>>;

/** Compile operations against the database's real catalog and lint them as the CLI does. */
export async function lintOperations(db: Database, operations: Operation[], allow: string[] = []): Promise<Finding[]> {
	const file = validatePlan({id: 'LINT-TEST', operations});
	await prepareOperations(file);
	const catalog = await readCatalog(db);
	const {plan} = compilePlan(file, catalog);
	return lintPlan({file, plan, catalog}, allow);
}

/** One raw sql operation (with a down, so sql-without-down stays quiet). */
export const sql = (up: string, extra: Record<string, unknown> = {}): Operation => ({sql: {up, down: 'SELECT 1', ...extra}});

export const lintSql = async (db: Database, ...ups: string[]) => lintOperations(db, ups.map(up => sql(up)));

/** The ids of the rules that found something. */
export const ruleIds = (findings: Finding[]) => [...new Set(findings.map(finding => finding.rule))].sort();

export const only = (findings: Finding[], rule: string) => findings.filter(finding => finding.rule === rule);

/**
 * Lint a plan including the SQL zdm generates for its operations, which production trusts by
 * construction: the same statement rules must find nothing in it.
 */
export async function lintGenerated(db: Database, operations: Operation[]): Promise<Finding[]> {
	await loadSqlParser();
	const file = validatePlan({id: 'LINT-GEN', operations});
	await prepareOperations(file);
	const catalog = await readCatalog(db);
	const {plan} = compilePlan(file, catalog);
	return lint({file, plan, catalog, sql: analyseSql(plan.steps, {generated: true})});
}
