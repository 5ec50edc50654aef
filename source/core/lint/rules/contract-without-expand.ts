import {onlyAdds} from '../../operations/sql-inverse.js';
import type {Step} from '../../plan.js';
import type {LintContext, Rule} from '../rule.js';

/** A raw sql step whose statements only create new objects takes nothing away from any application version. */
const onlyCreates = (ctx: LintContext, step: Step) => ctx.sql?.units.some(unit => unit.step === step && unit.raw && !unit.syntaxError && onlyAdds(unit.statements)) === true;

// WHY an error? Contracting removes what the running application still uses; without an expand
// there was never a moment when both shapes worked, so the old code breaks and data is lost.
export const contractWithoutExpand: Rule = {
	id: 'contract-without-expand',
	severity: 'error',
	description: 'A contract step (dropping the old shape) with no expand step before it.',
	alternative: 'expand first: add the new shape (or a drop_column "down") so both versions work, then contract',
	check(ctx) {
		const {plan} = ctx;
		if (!plan) return [];
		// zdm's own steps (the version schema, operation -1) expand nothing of the plan's; a
		// contract that only renames loses nothing, as the version schema carried the new name; nor
		// does a sql operation on complete that only creates something (pgroll's onComplete), nor
		// dropping what the new version has not seen since expand (a table).
		const expands = plan.steps.some(step => step.phase === 'EXPANDING' && step.operation >= 0);
		const contract = plan.steps.find(step => step.phase === 'CONTRACTING' && step.irreversible && !step.retiredAtExpand && step.operation >= 0 && !onlyCreates(ctx, step));
		return contract && !expands ? [{message: 'contract without expand — data loss risk', hint: 'expand first: add the new shape (or a drop_column "down") so both versions work, then contract', operation: contract.operation}] : [];
	},
};
