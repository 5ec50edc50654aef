import type {Rule} from '../rule.js';

/** WHY not the verify steps? zdm adds one per backfill to check it; they make no change to reason about or undo. */
const changingSteps = (steps: ReadonlyArray<{kind: string}>) => steps.filter(step => step.kind !== 'verify').length;

export const tooManySteps: Rule = {
	id: 'too-many-steps',
	severity: 'warning',
	description: 'More than 10 steps: a long migration is harder to reason about and to roll back.',
	alternative: 'split it into smaller migrations that each complete on their own',
	check({plan}) {
		const count = plan ? changingSteps(plan.steps) : 0;
		return count > 10 ? [{message: `migration has ${count} steps — consider splitting`, hint: 'split it into smaller migrations that each complete on their own'}] : [];
	},
};
