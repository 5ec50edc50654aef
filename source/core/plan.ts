import type {RowKey} from './catalog.js';
import type {MigrationPhase, StepPhase} from './phase.js';

/**
 * How a step runs:
 * - `ddl`: its statements in one transaction under a short lock_timeout, retried with backoff;
 * - `concurrent`: statements that may not run in a transaction (CREATE INDEX CONCURRENTLY, or a
 *   `sql` operation that is one CONCURRENTLY statement);
 * - `backfill`: a batch statement repeated over ranges of the table's pages, each its own transaction;
 * - `script`: a plan's raw `sql` operation, trusted multi-statement SQL in one transaction;
 * - `verify`: read-only batches over ranges of pages, proving a backfilled column holds what it should.
 */
export type StepKind = 'ddl' | 'concurrent' | 'backfill' | 'script' | 'verify';

export interface BackfillSpec {
	schema: string;
	table: string;
	/** The row key: the verify names the rows it doubts by it. */
	key: RowKey;
	/** The column the backfill fills: progress counts rows, this names what is shown changing. */
	column: string;
	/** The table, as the statements' $1. */
	relation: string;
	/** The table's size in pages now, and the files its rows are in. */
	pages: string;
	/** Fill one range of pages (see backfill-sql.ts for the parameters); its record follows in the same transaction. */
	pageBatch: string;
}

/** A verify step's statements (verify-sql.ts): the table's size in pages, and the mismatches in each range of them. */
export interface VerifySpec {
	schema: string;
	table: string;
	key: RowKey;
	/** The column the backfill filled; a type change's old column beside it. */
	column: string;
	oldColumn?: string;
	/** The table, as `pages`' $1. */
	relation: string;
	/** The table's size in pages now. */
	pages: string;
	/** The rows read in a range of pages ($1 = first tid, $2 = the tid after), and those no sync direction explains. */
	check: string;
}

export interface StepSpec {
	phase: StepPhase;
	/** Index of the plan-file operation this step came from. */
	operation: number;
	kind: StepKind;
	description: string;
	/** Exactly the SQL that runs, statement by statement. */
	forward: string[];
	/** Exactly the SQL that undoes it; empty when a later rollback step already undoes it. */
	rollback: string[];
	/** Why this step exists, in the lab's tone. */
	why: string;
	backfill?: BackfillSpec;
	/**
	 * A verify step's statements; on a backfill step, what to verify before contract (compile.ts
	 * turns it into that step).
	 */
	verify?: VerifySpec;
	/** A table the step locks, for showing who blocks it. */
	table?: string;
	/**
	 * Part of the contract's last transaction. All such parts of a plan run together as its final
	 * step, so the point of no return (dropping the old shape) is one atomic commit.
	 */
	final?: boolean;
	/** Its effect cannot be undone by SQL (a dropped column's data is gone). */
	irreversible?: boolean;
	/** What it drops, the new version has not seen since expand and never writes (a dropped table): no expand is missing. */
	retiredAtExpand?: boolean;
}

export type StepStatus = 'pending' | 'running' | 'executed' | 'rolled_back' | 'failed';

export interface Step extends StepSpec {
	/** 1-based, as shown and as --fail-at counts. */
	number: number;
	status: StepStatus;
	durationMs?: number;
}

export interface Plan {
	id: string;
	title: string;
	/** The schema whose tables the plan changes (the base schema). */
	schema: string;
	/**
	 * The schema of views the new application version uses from expand on, with the final names
	 * (see versions.ts); the old version keeps the previous one, or the base schema.
	 */
	versionSchema: string;
	steps: Step[];
	phase: MigrationPhase;
	/** A hash of the plan file's meaning, so a resumed migration runs the plan it started with. */
	fingerprint: string;
}

export function progressPct(plan: Pick<Plan, 'steps'>): number {
	if (plan.steps.length === 0) return 0;
	const executed = plan.steps.filter(step => step.status === 'executed').length;
	return (executed / plan.steps.length) * 100;
}

export const nextStep = (plan: Pick<Plan, 'steps'>): Step | undefined =>
	plan.steps.find(step => step.status === 'pending' || step.status === 'running');

export function toSteps(specs: StepSpec[]): Step[] {
	return specs.map((spec, index) => ({...spec, number: index + 1, status: 'pending'}));
}
