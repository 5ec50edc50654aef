import type {Rule} from '../rule.js';

export const noSteps: Rule = {
	id: 'no-steps',
	severity: 'warning',
	description: 'The plan compiles to no step at all.',
	alternative: 'add an operation, or drop the plan',
	// zdm's own steps (the version schema, operation -1) are not the plan's.
	check: ({plan}) => (plan && plan.steps.every(step => step.operation < 0) ? [{message: 'migration plan has no steps', hint: 'add an operation, or drop the plan'}] : []),
};
