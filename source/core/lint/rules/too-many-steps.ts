import type {Rule} from '../rule.js';

export const tooManySteps: Rule = {
	id: 'too-many-steps',
	severity: 'warning',
	description: 'More than 10 steps: a long migration is harder to reason about and to roll back.',
	alternative: 'split it into smaller migrations that each complete on their own',
	check: ({plan}) => (plan && plan.steps.length > 10 ? [{message: `migration has ${plan.steps.length} steps — consider splitting`, hint: 'split it into smaller migrations that each complete on their own'}] : []),
};
