import type {Catalog} from '../catalog.js';
import type {PlanFile} from '../plan-file.js';
import type {Plan} from '../plan.js';
import type {SqlAnalysis} from './sql/analysis.js';

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
	/** The schema before the migration: tells existing tables and column types apart from new ones. */
	catalog?: Catalog;
	/** The parsed SQL of the plan's raw `sql` steps; lintPlan() fills it when there are any. */
	sql?: SqlAnalysis;
}

export type RuleFinding = Omit<Finding, 'rule' | 'severity'> & {severity?: Severity};

export interface Rule {
	id: string;
	severity: Severity;
	/** One line: what it catches. */
	description: string;
	/** One line: what to do instead (the README's "safe alternative"). */
	alternative: string;
	check(ctx: LintContext): RuleFinding[];
}
