// WHY five phases? Expand adds the new shape beside the old one (both application versions
// work), migrate backfills the data, contract removes the old shape. At every phase boundary
// the system is fully working. ROLLED_BACK exists because any phase can fail and must be undone.
export const phases = ['PENDING', 'EXPANDING', 'MIGRATING', 'CONTRACTING', 'COMPLETE', 'ROLLED_BACK'] as const;
export type MigrationPhase = (typeof phases)[number];

/** Phases a step can belong to, in the order they run. */
export const stepPhases = ['EXPANDING', 'MIGRATING', 'CONTRACTING'] as const;
export type StepPhase = (typeof stepPhases)[number];

const order: Record<MigrationPhase, number> = {
	PENDING: 0,
	EXPANDING: 1,
	MIGRATING: 2,
	CONTRACTING: 3,
	COMPLETE: 4,
	ROLLED_BACK: 5,
};

/** A phase only moves forward through the pattern, or to ROLLED_BACK from anywhere but COMPLETE. */
export function canTransition(from: MigrationPhase, to: MigrationPhase): boolean {
	if (from === to) return true;
	if (to === 'ROLLED_BACK') return from !== 'COMPLETE';
	if (from === 'ROLLED_BACK') return to === 'PENDING' || to === 'EXPANDING';
	return order[to] > order[from];
}

export const isActive = (phase: MigrationPhase) =>
	phase === 'EXPANDING' || phase === 'MIGRATING' || phase === 'CONTRACTING';

/** The lab's WHY notes, one per phase, for the dashboard's "why" line. */
export const phaseWhy: Record<MigrationPhase, string> = {
	PENDING: 'Nothing has run yet: lint first, so a dangerous plan never touches the database.',
	EXPANDING: 'Expand first: the new shape is added beside the old, so the running application never breaks.',
	MIGRATING: 'Backfill in small batches: each is a short transaction, so writers never wait long for a lock.',
	CONTRACTING: 'Contract last: the old shape goes only once no application version needs it.',
	COMPLETE: 'Done: only the new shape is left, and no moment needed downtime.',
	ROLLED_BACK: 'Rolled back in reverse order, undoing the newest change first, like unwinding a stack.',
};
