import type {PlanFile} from '../plan-file.js';
import type {Plan} from '../plan.js';

export type Severity = 'error' | 'warning';

export interface Finding {
	rule: string;
	severity: Severity;
	message: string;
	/** The safe alternative. */
	hint: string;
	/** Index of the operation it concerns, when there is one. */
	operation?: number;
}

export interface LintContext {
	file: PlanFile;
	/** The compiled plan, when it compiled (a plan that does not compile is reported by compile). */
	plan?: Plan;
}

export interface Rule {
	id: string;
	severity: Severity;
	/** One line: what it catches. */
	description: string;
	check(ctx: LintContext): Array<Omit<Finding, 'rule' | 'severity'> & {severity?: Severity}>;
}
