import type {Catalog} from '../catalog.js';
import type {PlanFile} from '../plan-file.js';
import type {Plan} from '../plan.js';
import type {SqlAnalysis} from './sql/analysis.js';

/** `info` is advice about style, never a reason to fail: only an error fails a run. */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
	rule: string;
	severity: Severity;
	message: string;
	/** The safe alternative. */
	hint: string;
	/** Index of the operation it concerns, when there is one. */
	operation?: number;
	/** 1-based: of the statement in a .sql file, of the operation in a plan file (1:1 when neither). */
	line?: number;
	column?: number;
}

export interface LintContext {
	file: PlanFile;
	/** The compiled plan, when it compiled (a plan that does not compile is reported by compile). */
	plan?: Plan;
	/** The schema before the migration: tells existing tables and column types apart from new ones. */
	catalog?: Catalog;
	/** The parsed SQL of the plan's raw `sql` steps (lintPlan() fills it), or of a .sql file. */
	sql?: SqlAnalysis;
	/** The PostgreSQL version the migration will run on (default 15): some rules depend on it. */
	pgVersion?: number;
	/** From a database's catalog: a function's volatility; without one, user functions count as volatile. */
	volatility?: (name: string) => Volatility | undefined;
	/** Where each operation starts in the plan file, by index. */
	positions?: Array<{line: number; column: number}>;
}

export type Volatility = 'immutable' | 'stable' | 'volatile';

export const defaultPgVersion = 15;

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
