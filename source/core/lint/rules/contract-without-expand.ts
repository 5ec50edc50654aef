import type {Rule} from '../rule.js';

// WHY an error? Contracting removes what the running application still uses; without an expand
// there was never a moment when both shapes worked, so the old code breaks and data is lost.
export const contractWithoutExpand: Rule = {
	id: 'contract-without-expand',
	severity: 'error',
	description: 'A contract step (dropping the old shape) with no expand step before it.',
	alternative: 'expand first: add the new shape (or a drop_column "down") so both versions work, then contract',
	check({plan}) {
		if (!plan) return [];
		// zdm's own steps (the version schema, operation -1) expand nothing of the plan's; a
		// contract that only renames loses nothing, as the version schema carried the new name.
		const expands = plan.steps.some(step => step.phase === 'EXPANDING' && step.operation >= 0);
		const contract = plan.steps.find(step => step.phase === 'CONTRACTING' && step.irreversible && step.operation >= 0);
		return contract && !expands ? [{message: 'contract without expand — data loss risk', hint: 'expand first: add the new shape (or a drop_column "down") so both versions work, then contract', operation: contract.operation}] : [];
	},
};
