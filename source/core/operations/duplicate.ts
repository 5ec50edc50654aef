import {backfillForward, backfillSpec, backfillWhy} from '../backfill-sql.js';
import {physicalTable} from '../catalog.js';
import type {StepSpec} from '../plan.js';
import {ident, qualified} from '../sql.js';
import {constraintSteps, notNullCheck} from './constraints.js';
import {enclosed, requireNoDependentObjects, requireRowKey, type CompileContext, type Compiled, type Fragment} from './operation.js';
import {carryDependents, type ShadowColumn} from './shadow-dependents.js';
import {assignBlock, byWriter, changedByUserTrigger, rowTrigger} from './triggers.js';
import {verifySpec} from '../verify-sql.js';

export interface Duplication extends ShadowColumn {
	/** old → new, over the row's columns by name. */
	up: string;
	/** new → old; the new value is bound to the old column's name and the final name. */
	down: string;
	summary: string;
}

/**
 * Change a column's type without ever breaking a reader or a writer: a shadow column is added
 * beside the old one, and the new version's view shows it under the final name. A trigger keeps
 * both in step by who wrote the row (the old version's writes fill the shadow through `up`, the
 * new version's fill the old column through `down`), the backfill copies history across, and
 * contract drops the old column and gives the shadow its name in the last step.
 */
export function compileDuplication(d: Duplication, ctx: CompileContext): Compiled {
	const {table, old, shadow} = d;
	// A changed primary key names the rows by its old column, which stays until contract.
	const key = requireRowKey(table, d.at);
	const target = qualified(table.schema, table.name);
	const oldCol = ident(old.name);
	const newCol = ident(shadow);
	const rows = physicalTable(table);
	const downBind: Record<string, string> = {[old.name]: shadow, [d.finalName]: shadow};
	// The new version's write reaches the old column before the user's own triggers run (early),
	// so a normaliser on it works as for the old version's write; if one changed the value, the
	// late trigger carries the change to the shadow through up, as it does for the old version.
	const early = rowTrigger(ctx.migrationId, ctx.operation, rows, assignBlock(rows, old.name, d.down, downBind), 'new', ctx.versionSchema, 'before-user');
	const body = byWriter(ctx.versionSchema, changedByUserTrigger(rows, old.name, d.down, downBind, assignBlock(rows, shadow, d.up)), assignBlock(rows, shadow, d.up));
	const trigger = rowTrigger(ctx.migrationId, ctx.operation, rows, body, 'both', ctx.versionSchema);
	// Only rows whose shadow is still empty: one the new version wrote holds its own value (it may
	// differ from up(old) where up∘down does not round-trip), and one the old version wrote holds
	// what the trigger computed. Overwriting them lost the new version's writes.
	const backfill = backfillSpec(table, key, shadow, d.up);
	const steps: StepSpec[] = [
		{
			phase: 'EXPANDING',
			operation: ctx.operation,
			kind: 'ddl',
			table: table.name,
			description: `Add column "${shadow}" ${d.type} beside "${old.name}"`,
			forward: [`ALTER TABLE ${target} ADD COLUMN ${newCol} ${d.type}`],
			rollback: [`ALTER TABLE ${target} DROP COLUMN IF EXISTS ${newCol}`],
			why: 'The new shape is added beside the old one: an instant catalog change, and both application versions keep working.',
		},
		{
			phase: 'EXPANDING',
			operation: ctx.operation,
			kind: 'ddl',
			table: table.name,
			description: `Keep "${old.name}" and "${shadow}" in sync by writer (trigger)`,
			forward: [...early.create, ...trigger.create],
			rollback: [...trigger.drop, ...early.drop],
			why: 'The old version\'s writes fill the new column through up, the new version\'s fill the old one through down: neither sees stale data.',
		},
		{
			phase: 'MIGRATING',
			operation: ctx.operation,
			kind: 'backfill',
			table: table.name,
			description: `Backfill "${shadow}" from "${old.name}" in batches`,
			forward: backfillForward(backfill),
			rollback: [],
			backfill,
			verify: verifySpec({table: rows, key, column: shadow, type: d.type, up: d.up, down: {column: old.name, type: old.type, expression: d.down, bind: downBind}}),
			why: backfillWhy,
		},
	];
	// Dropping the old column drops what hangs on it: all of it is built again on the shadow column
	// (shadow-dependents.ts); views, rules, policies and triggers on it are refused up front.
	requireNoDependentObjects(ctx, table, old.name, d.at, 'replaces with a column of the new type');
	const carried = carryDependents(d, ctx);
	steps[0]!.forward.push(...carried.expand);
	steps[0]!.rollback.unshift(...carried.expandRollback);
	steps.push(...carried.builds);
	const constraints = [...(d.notNull ? [notNullCheck(ctx.migrationId, table, shadow)] : []), ...carried.constraints];
	steps.push(...constraintSteps(ctx.operation, table, constraints, `"${shadow}"`));

	// WHY lock the referencing tables first, in one statement? An application inserting a child
	// holds its table and waits for the parent's lock (the foreign key's check); taking the parent
	// first and the child statements later made a cycle on every attempt while writers ran.
	const locks = carried.lockFirst.length > 0 ? [`LOCK TABLE ${[...carried.lockFirst, target].join(', ')} IN ACCESS EXCLUSIVE MODE`] : [];
	const finish = [...locks, ...trigger.drop, ...early.drop, ...carried.beforeDrop, `ALTER TABLE ${target} DROP COLUMN ${oldCol}`];
	if (d.finalName !== shadow) finish.push(`ALTER TABLE ${target} RENAME COLUMN ${newCol} TO ${ident(d.finalName)}`);
	const finalCol = ident(d.finalName);
	if (d.notNull) {
		finish.push(`ALTER TABLE ${target} ALTER COLUMN ${finalCol} SET NOT NULL`, `ALTER TABLE ${target} DROP CONSTRAINT ${ident(notNullCheck(ctx.migrationId, table, shadow).name)}`);
	}

	finish.push(...carried.afterRename);
	if (d.default !== null) finish.push(`ALTER TABLE ${target} ALTER COLUMN ${finalCol} SET DEFAULT ${enclosed(d.default)}`);
	steps.push({
		phase: 'CONTRACTING',
		operation: ctx.operation,
		kind: 'ddl',
		table: table.name,
		final: true,
		irreversible: true,
		description: `Drop "${old.name}"${d.finalName === shadow ? '' : `, rename "${shadow}" to "${d.finalName}"`}${d.notNull ? ', SET NOT NULL' : ''}`,
		forward: finish,
		rollback: [],
		why: 'Contract last, in one transaction of catalog changes only: every index, constraint and sequence is ready beside the old column, so dropping it and moving them over takes the lock for an instant.',
	});

	const fragments: Fragment[] = [
		{what: `${d.at}.up`, table: rows, expression: d.up, castTo: d.type},
		{what: `${d.at}.down`, table: rows, expression: d.down, castTo: old.type, bind: {[old.name]: d.type, [d.finalName]: d.type}},
	];
	// The working catalog now holds the final shape, the shadow standing in for it until contract.
	table.columns.splice(table.columns.indexOf(old), 1, {name: d.finalName, type: d.type, notNull: d.notNull, default: d.default ?? carried.viewDefault ?? null, ...(old.identity ? {identity: true} : {}), physical: shadow});
	return {steps, fragments, checks: carried.checks};
}
