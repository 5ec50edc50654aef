import type {Rule, RuleFinding} from '../rule.js';
import {stepLabel, walkStatements, type StatementVisit} from './analysis.js';
import {shortSql} from './nodes.js';

export type StatementRule = Rule & {visit(visit: StatementVisit): RuleFinding | RuleFinding[] | undefined};

export const isStatementRule = (rule: Rule): rule is StatementRule => 'visit' in rule;

/**
 * A rule over parsed SQL: `visit` sees each statement with the schema state before it. lint()
 * walks the statements once for all such rules; `check` alone walks them for this rule.
 */
export function statementRule(spec: Omit<StatementRule, 'check'>): StatementRule {
	const {visit} = spec;
	return {
		...spec,
		check(ctx) {
			const found: RuleFinding[] = [];
			walkStatements(ctx, statement => {
				const result = visit(statement);
				if (result) found.push(...[result].flat());
			});
			return found;
		},
	};
}

/** A safe alternative, told apart for a plan's `sql` operation and for a plain .sql file. */
export type Hint = string | {plan: string; file: string};

/** A finding about one statement: `step 3 (sql) "ALTER TABLE …": problem` (in a .sql file, with its line). */
export const about = ({unit, statement}: StatementVisit, problem: string, hint: Hint, severity?: RuleFinding['severity']): RuleFinding => {
	const label = stepLabel(unit);
	return {
		...(unit.step ? {operation: unit.step.operation} : {}),
		...unit.locate?.(statement.location),
		message: `${label ? `${label} ` : ''}"${shortSql(statement.text)}": ${problem}`,
		hint: typeof hint === 'string' ? hint : unit.step ? hint.plan : hint.file,
		...(severity ? {severity} : {}),
	};
};
