import type {Step} from '../../plan.js';
import type {LintContext} from '../rule.js';
import {parseSql, SqlSyntaxError, type ParsedStatement} from './parser.js';
import {SchemaState} from './schema-state.js';

/** The SQL of one step, as one unit of execution. */
export interface SqlUnit {
	step: Step;
	/** Runs inside one transaction (ddl and script steps); concurrent steps run outside any. */
	inTransaction: boolean;
	/** The plan's own SQL (a `sql` operation), not SQL zdm generated. */
	raw: boolean;
	statements: ParsedStatement[];
	syntaxError?: SqlSyntaxError;
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
export function analyseSql(steps: Step[], options: {generated?: boolean} = {}): SqlAnalysis {
	const units: SqlUnit[] = [];
	for (const step of steps) {
		const raw = step.kind === 'script';
		// Backfill batches are DML by design, run in short batches by the executor.
		if (step.kind === 'backfill' || (!raw && !options.generated)) continue;
		const unit: SqlUnit = {step, inTransaction: step.kind !== 'concurrent', raw, statements: []};
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

export interface StatementVisit {
	unit: SqlUnit;
	statement: ParsedStatement;
	/** 0-based position in its unit. */
	index: number;
	/** The schema as this plan has left it just before the statement. */
	state: SchemaState;
}

/** Visit every parsed statement in execution order, with the schema state before it. */
export function walkStatements(ctx: LintContext, visit: (visit: StatementVisit) => void): void {
	if (!ctx.sql) return;
	const state = new SchemaState(ctx.catalog, ctx.file);
	for (const unit of ctx.sql.units) {
		state.enter(unit);
		for (const [index, statement] of unit.statements.entries()) {
			visit({unit, statement, index, state});
			state.apply(statement);
		}
	}
}

/** Where a finding points: the step, and the operation it came from. */
export const at = (unit: SqlUnit) => ({operation: unit.step.operation});

/** "step 3 (sql)": how a message names the unit. */
export const stepLabel = (unit: SqlUnit) => `step ${unit.step.number}${unit.raw ? ' (sql)' : ''}`;
