import type {Finding, LintContext, Rule, RuleFinding} from './rule.js';
import {addColumnGenerated} from './rules/add-column-generated.js';
import {addColumnVolatileDefault} from './rules/add-column-volatile-default.js';
import {concurrentlyInTransaction} from './rules/concurrently-in-transaction.js';
import {constraintWithoutNotValid} from './rules/constraint-without-not-valid.js';
import {contractWithoutExpand} from './rules/contract-without-expand.js';
import {lockTimeout} from './rules/lock-timeout.js';
import {noSteps} from './rules/no-steps.js';
import {notNullWithoutDefault} from './rules/not-null-without-default.js';
import {preferJsonb} from './rules/prefer-jsonb.js';
import {renameOrDropOutsideContract} from './rules/rename-or-drop-outside-contract.js';
import {requireConcurrentDropIndex} from './rules/require-concurrent-drop-index.js';
import {requireConcurrentIndex} from './rules/require-concurrent-index.js';
import {setNotNullWithoutCheck} from './rules/set-not-null-without-check.js';
import {sqlSyntax} from './rules/sql-syntax.js';
import {sqlWithoutDown} from './rules/sql-without-down.js';
import {tooManySteps} from './rules/too-many-steps.js';
import {transactionControlInSql} from './rules/transaction-control-in-sql.js';
import {typeChangeRewriteRule} from './rules/type-change-rewrite.js';
import {uniqueWithoutUsingIndex} from './rules/unique-without-using-index.js';
import {unbatchedBackfill} from './rules/unbatched-backfill.js';
import {validateInSameTransaction} from './rules/validate-in-same-transaction.js';
import {workAfterAccessExclusive} from './rules/work-after-access-exclusive.js';
import {cannotRunInTransaction} from './rules/cannot-run-in-transaction.js';
import {disableTriggerAll} from './rules/disable-trigger-all.js';
import {backfillFiresTriggers} from './rules/backfill-fires-triggers.js';
import {narrowingAlterColumn} from './rules/narrowing-alter-column.js';
import {narrowingTypeChange} from './rules/narrowing-type-change.js';
import {requireConcurrentDetach} from './rules/require-concurrent-detach.js';
import {requireConcurrentRefresh} from './rules/require-concurrent-refresh.js';
import {rewriteUnderLock} from './rules/rewrite-under-lock.js';
import {setTablespace} from './rules/set-tablespace.js';
import {identifierTooLong, preferBigintKey, preferText, preferTimestamptz} from './rules/style-advice.js';
import {truncateTable} from './rules/truncate-table.js';
import {analyseSql, analyseSqlFile, walkStatements} from './sql/analysis.js';
import {isStatementRule} from './sql/statement-rule.js';
import {loadSqlParser, sqlParserLoaded} from './sql/parser.js';

export type {Finding, LintContext, Rule, Severity} from './rule.js';

export const rules: Rule[] = [
	// The plan as a whole.
	noSteps,
	contractWithoutExpand,
	tooManySteps,
	sqlWithoutDown,
	// Operations and raw SQL.
	notNullWithoutDefault,
	narrowingAlterColumn,
	backfillFiresTriggers,
	preferJsonb,
	addColumnGenerated,
	// Raw SQL, read by PostgreSQL's parser.
	sqlSyntax,
	transactionControlInSql,
	lockTimeout,
	requireConcurrentIndex,
	requireConcurrentDropIndex,
	concurrentlyInTransaction,
	addColumnVolatileDefault,
	setNotNullWithoutCheck,
	constraintWithoutNotValid,
	validateInSameTransaction,
	uniqueWithoutUsingIndex,
	typeChangeRewriteRule,
	renameOrDropOutsideContract,
	workAfterAccessExclusive,
	unbatchedBackfill,
	cannotRunInTransaction,
	truncateTable,
	rewriteUnderLock,
	setTablespace,
	requireConcurrentRefresh,
	requireConcurrentDetach,
	disableTriggerAll,
	narrowingTypeChange,
	// Style: info, never a reason to fail.
	preferText,
	preferTimestamptz,
	preferBigintKey,
	identifierTooLong,
];

const hasRawSql = (ctx: LintContext) => ctx.plan !== undefined && ctx.file.operations.some(op => op.kind === 'sql');

const sqlOperations = (ctx: LintContext) => new Set(ctx.file.operations.flatMap((op, index) => (op.kind === 'sql' ? [index] : [])));

/**
 * Run every rule; findings whose rule is in `allow` are kept but downgraded to warnings.
 * Raw `sql` operations are analysed when the SQL parser is loaded (lintPlan loads it); before
 * that, a warning says they were not read, rather than passing them silently.
 */
export function lint(given: LintContext, allow: string[] = []): Finding[] {
	const ctx = !given.sql && given.plan && hasRawSql(given) && sqlParserLoaded() ? {...given, sql: analyseSql(given.plan.steps, {sqlOperations: sqlOperations(given)})} : given;
	const finding = (rule: Rule, found: RuleFinding): Finding => {
		const severity = found.severity ?? rule.severity;
		// An acknowledged error becomes a warning; info stays info.
		return {...found, rule: rule.id, severity: allow.includes(rule.id) && severity === 'error' ? 'warning' : severity};
	};

	const findings = rules.filter(rule => !isStatementRule(rule)).flatMap(rule => rule.check(ctx).map(found => finding(rule, found)));
	// WHY one walk? Each walk rebuilds the schema state statement by statement; once serves every rule.
	const statementRules = rules.filter(isStatementRule);
	walkStatements(ctx, visit => {
		for (const rule of statementRules) findings.push(...[rule.visit(visit) ?? []].flat().map(found => finding(rule, found)));
	});
	if (!ctx.sql && hasRawSql(ctx)) {
		findings.push({rule: 'sql-not-analysed', severity: 'warning', message: 'the raw sql operations were not analysed', hint: 'lint with lintPlan(), which loads the SQL parser'});
	}

	// Every finding points somewhere: its statement, its operation, or the top of the file.
	const placed = findings.map(finding => ({...finding, ...(finding.line === undefined ? (finding.operation === undefined ? undefined : ctx.positions?.[finding.operation]) ?? {line: 1, column: 1} : {})}));
	return placed.sort((a, b) => (a.line ?? 1) - (b.line ?? 1) || (a.column ?? 1) - (b.column ?? 1));
}

/** lint(), after parsing the raw SQL of `sql` operations — the parser loads only when there are any. */
export async function lintPlan(ctx: LintContext, allow: string[] = []): Promise<Finding[]> {
	if (hasRawSql(ctx)) await loadSqlParser();
	return lint(ctx, allow);
}

/**
 * A plain .sql file, linted as psql runs it (or, with `assumeInTransaction`, as a migration tool
 * that wraps each file in one transaction). `path` names it in the findings' context.
 */
export async function lintSqlFile(path: string, text: string, options: Omit<LintContext, 'file' | 'sql'> & {assumeInTransaction?: boolean} = {}, allow: string[] = []): Promise<Finding[]> {
	await loadSqlParser();
	const {assumeInTransaction, ...context} = options;
	const file = {id: path, title: path, operations: [], canonical: ''};
	return lint({...context, file, sql: analyseSqlFile(text, {assumeInTransaction})}, allow);
}

/** A finding as `lint --json` prints it: always the same fields, `operation` null when none. */
export const findingJson = (finding: Finding) => ({
	rule: finding.rule,
	severity: finding.severity,
	message: finding.message,
	hint: finding.hint,
	line: finding.line ?? 1,
	column: finding.column ?? 1,
	operation: finding.operation ?? null,
});

export const hasErrors = (findings: Finding[]) => findings.some(finding => finding.severity === 'error');
