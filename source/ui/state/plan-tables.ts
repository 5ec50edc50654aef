import {nextStep, type Step} from '../../core/plan.js';
import type {MigrationPhase} from '../../core/phase.js';

/**
 * One table the plan touches, as each application version names it: undefined where that version
 * does not have it (v1 for a table the plan creates, v2 for one it drops).
 */
export interface PlanTable {
	/** The physical table's schema. */
	schema: string;
	v1?: string;
	v2?: string;
}

/** Steps name the physical table: v1's name until complete, v2's for a table the plan creates. */
export const tableTouched = (table: PlanTable, name: string) => table.v1 === name || table.v2 === name;

/** The step the table panel follows: the one running, else the one space would run; none once ended. */
export function followedStep(steps: Step[], phase: MigrationPhase | undefined): Step | undefined {
	const running = steps.find(step => step.status === 'running');
	if (running) return running;
	return phase === 'COMPLETE' || phase === 'ROLLED_BACK' ? undefined : nextStep({steps});
}

/**
 * Whenever the followed step changes, or starts running, the panel shows the table it touches; in
 * between, `[` and `]` may show another. A step without a table (raw SQL, the version schema) leaves it where it is.
 */
export function followTable<S extends {steps: Step[]; plan?: {phase: MigrationPhase}; tables: PlanTable[]; tableIndex: number; followedStep?: string}>(state: S): S {
	const step = followedStep(state.steps, state.plan?.phase);
	// The same step again once it starts: space brings the panel back to the table it changes.
	const followed = step && `${step.number}${step.status === 'running' ? ' running' : ''}`;
	if (followed === state.followedStep) return state;
	const table = step?.table;
	const index = table === undefined ? -1 : state.tables.findIndex(each => tableTouched(each, table));
	return {...state, followedStep: followed, tableIndex: index >= 0 ? index : state.tableIndex};
}

/** `[` / `]`: the previous or next of the plan's tables, round the end. */
export const movedTable = (index: number, by: number, count: number) => (count === 0 ? 0 : (((index + by) % count) + count) % count);
