import type {Finding, LintContext, Rule} from './rule.js';
import {contractWithoutExpand} from './rules/contract-without-expand.js';
import {jsonType} from './rules/json-type.js';
import {noSteps} from './rules/no-steps.js';
import {notNullWithoutDefault} from './rules/not-null-without-default.js';
import {sqlWithoutDown} from './rules/sql-without-down.js';
import {tooManySteps} from './rules/too-many-steps.js';

export type {Finding, Rule, Severity} from './rule.js';

export const rules: Rule[] = [noSteps, contractWithoutExpand, tooManySteps, notNullWithoutDefault, sqlWithoutDown, jsonType];

/** Run every rule; findings whose rule is in `allow` are kept but downgraded to warnings. */
export function lint(ctx: LintContext, allow: string[] = []): Finding[] {
	return rules.flatMap(rule =>
		rule.check(ctx).map(found => {
			const severity = found.severity ?? rule.severity;
			return {...found, rule: rule.id, severity: allow.includes(rule.id) ? 'warning' : severity};
		}),
	);
}

export const hasErrors = (findings: Finding[]) => findings.some(finding => finding.severity === 'error');
