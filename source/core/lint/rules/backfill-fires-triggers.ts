import type {Rule, RuleFinding} from '../rule.js';

const hint = "run the migration as a superuser (the backfill then sets session_replication_role = replica), or let the triggers skip zdm's batches: WHEN (current_setting('zdm.backfill', true) IS DISTINCT FROM 'on')";

// WHY a warning? The backfill rewrites every row: an updated_at trigger stamps them all, an audit
// trigger logs them all. Known only with the database's catalog (who we are, which triggers exist).
export const backfillFiresTriggers: Rule = {
	id: 'backfill-fires-triggers',
	severity: 'warning',
	description: "A backfill on a table whose own row triggers will fire for every row (the role may not set session_replication_role, or the trigger is ENABLE ALWAYS).",
	alternative: hint,
	check(ctx) {
		const {catalog, plan} = ctx;
		if (catalog?.mayReplicate === undefined || !plan) return [];
		return plan.steps.flatMap((step): RuleFinding[] => {
			if (step.kind !== 'backfill' || !step.table) return [];
			// In replica mode only ALWAYS and REPLICA triggers fire; otherwise ORIGIN and ALWAYS ones.
			const firing = (catalog.table(step.table)?.triggers ?? []).filter(trigger => (catalog.mayReplicate ? trigger.fires !== 'O' : trigger.fires !== 'R'));
			if (firing.length === 0) return [];
			const names = firing.map(trigger => `"${trigger.name}"`).join(', ');
			return [{operation: step.operation, message: `the backfill of "${step.table}" (step ${step.number}) fires ${names} for every row${catalog.mayReplicate ? '' : ': this role may not set session_replication_role'}`, hint}];
		});
	},
};
