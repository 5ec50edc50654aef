import type {Rule, RuleFinding} from '../rule.js';
import {stepLabel, walkStatements, type StatementVisit} from './analysis.js';
import {shortSql} from './nodes.js';

/** A rule over parsed SQL: `visit` sees each statement with the schema state before it. */
export function statementRule(spec: Omit<Rule, 'check'> & {visit(visit: StatementVisit): RuleFinding | RuleFinding[] | undefined}): Rule {
	const {visit, ...rule} = spec;
	return {
		...rule,
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

/** A finding about one statement: `step 3 (sql) "ALTER TABLE …": problem` (in a .sql file, with its line). */
export const about = ({unit, statement}: StatementVisit, problem: string, hint: string, severity?: RuleFinding['severity']): RuleFinding => {
	const label = stepLabel(unit);
	return {
		...(unit.step ? {operation: unit.step.operation} : {}),
		...unit.locate?.(statement.location),
		message: `${label ? `${label} ` : ''}"${shortSql(statement.text)}": ${problem}`,
		hint,
		...(severity ? {severity} : {}),
	};
};
