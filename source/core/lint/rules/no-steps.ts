import type {Rule} from '../rule.js';

export const noSteps: Rule = {
	id: 'no-steps',
	severity: 'warning',
	description: 'The plan compiles to no step at all.',
	alternative: 'add an operation, or drop the plan',
	check: ({plan}) => (plan && plan.steps.length === 0 ? [{message: 'migration plan has no steps', hint: 'add an operation, or drop the plan'}] : []),
};
