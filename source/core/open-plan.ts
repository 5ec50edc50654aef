import type {Database} from './ports.js';
import {ZdmError} from './errors.js';
import {progressPct, type Plan} from './plan.js';
import {ident} from './sql.js';

/**
 * Load the migration's stored state or store the freshly compiled plan. A started migration
 * resumes from its stored steps (the SQL it was planned with); a rolled-back one starts afresh.
 */
export async function openPlan(db: Database, compiled: Plan): Promise<Plan> {
	await db.state.ensure(db);
	const stored = await db.state.load(db, compiled.id);
	const active = await db.state.active(db);
	// One active migration per database, whatever its schema: ids, the hold and the state are the database's.
	if (active && active.id !== compiled.id) {
		throw new ZdmError('refused', `migration ${active.id} is already active (${active.phase}, ${progressPct(active).toFixed(0)} %) on this database${active.schema === compiled.schema ? '' : `, in schema ${ident(active.schema)}`}`, `finish it first: zdm-tui complete ${active.id}, or zdm-tui rollback ${active.id}`);
	}

	if (stored && stored.phase !== 'ROLLED_BACK' && stored.phase !== 'PENDING') {
		if (stored.fingerprint !== compiled.fingerprint) {
			throw new ZdmError('bad-input', `migration ${compiled.id} was started from a different plan file`, `roll it back first (zdm-tui rollback ${compiled.id}), or give the new plan another id`);
		}

		return {...compiled, versionSchema: stored.versionSchema || compiled.versionSchema, steps: stored.steps, phase: stored.phase};
	}

	const plan: Plan = {...compiled, phase: 'PENDING', steps: compiled.steps.map(step => ({...step, status: 'pending'}))};
	await db.transaction(async tx => db.state.saveNew(tx, plan));
	return plan;
}

/** A stored migration by id alone (complete, rollback). */
export async function openStoredPlan(db: Database, id: string): Promise<Plan> {
	await db.state.ensure(db);
	const stored = await db.state.load(db, id);
	if (!stored) throw new ZdmError('bad-input', `no migration "${id}" on this database`, 'see zdm-tui status for the ids');
	return {id: stored.id, title: stored.title, schema: stored.schema, versionSchema: stored.versionSchema, steps: stored.steps, phase: stored.phase, fingerprint: stored.fingerprint};
}
