import type {TransactionStmt} from 'libpg-query';
import type {Step} from '../../plan.js';
import type {LintContext} from '../rule.js';
import {body} from './nodes.js';
import {parseSql, SqlSyntaxError, type ParsedStatement} from './parser.js';
import {SchemaState} from './schema-state.js';

/** A 1-based line and column in a file. */
export interface Position {
	line: number;
	column: number;
}

/** The SQL of one step of a plan, or one transaction of a .sql file, as one unit of execution. */
export interface SqlUnit {
	/** The plan step it is; undefined in a .sql file. */
	step?: Step;
	/** Runs inside one transaction; otherwise every statement commits alone (autocommit). */
	inTransaction: boolean;
	/** Someone else opened that transaction (zdm for a step, the migration tool with --assume-in-transaction). */
	wrapped: boolean;
	/** SQL written by a person (a `sql` operation, a .sql file), not SQL zdm generated. */
	raw: boolean;
	statements: ParsedStatement[];
	syntaxError?: SqlSyntaxError;
	/** Where the syntax error is, in a .sql file. */
	syntaxErrorAt?: Position;
	/** A .sql file's BEGIN that no COMMIT or ROLLBACK ends. */
	unterminated?: ParsedStatement;
	/** Where a statement of a .sql file starts (plan steps point at their operation instead). */
	locate?: (location: number) => Position;
}

export interface SqlAnalysis {
	units: SqlUnit[];
}

/**
 * Parse the SQL of a plan's steps (the parser must be loaded). By default only raw `sql`
 * operations: zdm's generated steps are built safe (short lock_timeout, CONCURRENTLY outside a
 * transaction, NOT VALID then VALIDATE in separate steps), and the tests prove they pass these
 * rules by analysing them with `generated: true`.
 */
export function analyseSql(steps: Step[], options: {generated?: boolean; sqlOperations?: ReadonlySet<number>} = {}): SqlAnalysis {
	const units: SqlUnit[] = [];
	for (const step of steps) {
		// A sql operation runs as a script step, or alone outside a transaction when it is one CONCURRENTLY statement.
		const raw = step.kind === 'script' || (step.kind === 'concurrent' && options.sqlOperations?.has(step.operation) === true);
		// Backfill batches are DML by design, run in short batches by the executor.
		if (step.kind === 'backfill' || step.kind === 'verify' || (!raw && !options.generated)) continue;
		const inTransaction = step.kind !== 'concurrent';
		const unit: SqlUnit = {step, inTransaction, wrapped: inTransaction, raw, statements: []};
		try {
			unit.statements = step.forward.flatMap(sql => parseSql(sql));
		} catch (error) {
			if (!(error instanceof SqlSyntaxError)) throw error;
			unit.syntaxError = error;
		}

		units.push(unit);
	}

	return {units};
}

const transactionKind = (statement: ParsedStatement) => body<TransactionStmt>(statement.node, 'TransactionStmt')?.kind;
const opens = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const closes = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);

/**
 * A .sql file as psql runs it: each statement its own transaction, except those that BEGIN …
 * COMMIT group. With `assumeInTransaction`, the whole file is one transaction a migration tool opens.
 */
export function analyseSqlFile(text: string, options: {assumeInTransaction?: boolean} = {}): SqlAnalysis {
	const locate = locator(text);
	const unit = (statements: ParsedStatement[], inTransaction: boolean, wrapped = false): SqlUnit => ({inTransaction, wrapped, raw: true, statements, locate});
	let statements: ParsedStatement[];
	try {
		statements = parseSql(text);
	} catch (error) {
		if (!(error instanceof SqlSyntaxError)) throw error;
		const before = error.position === undefined ? '' : text.slice(0, error.position);
		const syntaxErrorAt = {line: before.split('\n').length, column: before.length - before.lastIndexOf('\n')};
		return {units: [{...unit([], false), syntaxError: error, syntaxErrorAt}]};
	}

	if (options.assumeInTransaction) return {units: [unit(statements, true, true)]};
	const units: SqlUnit[] = [];
	let group: SqlUnit | undefined;
	for (const statement of statements) {
		const kind = transactionKind(statement) ?? '';
		if (group) {
			group.statements.push(statement);
			if (closes.has(kind)) group = undefined;
		} else if (opens.has(kind)) {
			group = unit([statement], true);
			units.push(group);
		} else {
			units.push(unit([statement], false));
		}
	}

	if (group) group.unterminated = group.statements[0];
	return {units};
}

/** Byte offset (as the parser gives it) → line and column, counting characters. */
export function locator(text: string): (location: number) => Position {
	const bytes = Buffer.from(text, 'utf8');
	return location => {
		const before = bytes.subarray(0, location).toString('utf8');
		const lineStart = before.lastIndexOf('\n') + 1;
		return {line: before.split('\n').length, column: [...before.slice(lineStart)].length + 1};
	};
}

export interface StatementVisit {
	unit: SqlUnit;
	statement: ParsedStatement;
	/** 0-based position in its unit. */
	index: number;
	/** The schema as this plan has left it just before the statement. */
	state: SchemaState;
	/** Every statement that runs after this one, in this unit and the units after it. */
	later: () => ParsedStatement[];
	ctx: LintContext;
}

/** Visit every parsed statement in execution order, with the schema state before it. */
export function walkStatements(ctx: LintContext, visit: (visit: StatementVisit) => void): void {
	if (!ctx.sql) return;
	const state = new SchemaState(ctx.catalog, ctx.file, {pgVersion: ctx.pgVersion, volatility: ctx.volatility});
	const {units} = ctx.sql;
	for (const [unitIndex, unit] of units.entries()) {
		state.enter(unit);
		for (const [index, statement] of unit.statements.entries()) {
			const later = () => [...unit.statements.slice(index + 1), ...units.slice(unitIndex + 1).flatMap(next => next.statements)];
			visit({unit, statement, index, state, later, ctx});
			state.apply(statement);
		}
	}
}

/** "step 3 (sql)": how a message names the unit; nothing in a .sql file, where the line says it. */
export const stepLabel = (unit: SqlUnit) => (unit.step ? `step ${unit.step.number}${unit.raw ? ' (sql)' : ''}` : '');
