import {backfillForward, backfillSpec} from '../backfill-sql.js';
import {badInput} from '../errors.js';
import {physicalTable, type ColumnInfo, type TableInfo} from '../catalog.js';
import type {StepSpec} from '../plan.js';
import {ident, ownedName, qualified, shown} from '../sql.js';
import {constraintSteps, notNullCheck} from './constraints.js';
import {dependentObjectKinds, enclosed, requireNoDependentObjects, requireRowKey, type CompileContext, type Compiled, type Fragment} from './operation.js';
import {assignBlock, byWriter, rowTrigger} from './triggers.js';

export interface Duplication {
	at: string;
	table: TableInfo;
	old: ColumnInfo;
	/** The column that runs beside the old one until contract. */
	shadow: string;
	/** The name it finally takes (the shadow's own, or the old name once that is dropped). */
	finalName: string;
	type: string;
	notNull: boolean;
	/** The default the final column gets; undefined keeps none. */
	default: string | null;
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
	const key = requireRowKey(table, d.at);
	if (table.primaryKey.includes(old.name)) throw badInput(`${d.at}: ${shown(old.name)} is the primary key`, 'changing a primary key column is not supported; add a new key column instead');
	const target = qualified(table.schema, table.name);
	const oldCol = ident(old.name);
	const newCol = ident(shadow);
	const rows = physicalTable(table);
	const downBind: Record<string, string> = {[old.name]: shadow, [d.finalName]: shadow};
	const body = byWriter(ctx.versionSchema, assignBlock(rows, old.name, d.down, downBind), assignBlock(rows, shadow, d.up));
	const trigger = rowTrigger(ctx.migrationId, ctx.operation, rows, body, 'both', ctx.versionSchema);
	const backfill = backfillSpec(table, key, shadow, d.up, false);
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
			forward: trigger.create,
			rollback: trigger.drop,
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
			why: 'Batches by primary key, each its own short transaction: writers wait for one batch at most, never the whole table.',
		},
	];
	// Dropping the old column drops what hangs on it. Plain single-column indexes (and the UNIQUE
	// constraints they back) are rebuilt on the shadow column; anything else is refused up front.
	requireNoDependentObjects(ctx, table, old.name, d.at, 'replaces with a column of the new type');
	const carried: Array<{tmp: string; name: string; constraint?: string}> = [];
	for (const dependent of table.dependents ?? []) {
		if (!dependent.columns.includes(old.name) || dependentObjectKinds.has(dependent.kind)) continue;
		if (dependent.kind !== 'index' || !dependent.simple || dependent.primary) {
			throw badInput(
				`${d.at}: ${shown(old.name)} is part of ${dependent.kind} ${shown(dependent.name)}${dependent.kind === 'index' ? ' (not a plain single-column index)' : ''}, which dropping the old column would lose`,
				'drop or change it in a migration of its own first',
			);
		}

		const tmp = ownedName('_zdm_idx', dependent.name, ctx.migrationId);
		carried.push({tmp, name: dependent.name, constraint: dependent.constraint});
		steps.push({
			phase: 'MIGRATING',
			operation: ctx.operation,
			kind: 'concurrent',
			table: table.name,
			description: `Build ${dependent.unique ? 'unique ' : ''}index "${dependent.name}" again on "${shadow}", concurrently`,
			forward: [`CREATE ${dependent.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${ident(tmp)} ON ${target} (${newCol})`],
			rollback: [`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(table.schema, tmp)}`],
			why: `The old column takes "${dependent.name}" with it at contract; its twin is built now, without blocking writes.`,
		});
	}

	if (d.notNull) steps.push(...constraintSteps(ctx.operation, table, [notNullCheck(ctx.migrationId, table, shadow)], `"${shadow}"`));

	const finish = [...trigger.drop, `ALTER TABLE ${target} DROP COLUMN ${oldCol}`];
	if (d.finalName !== shadow) finish.push(`ALTER TABLE ${target} RENAME COLUMN ${newCol} TO ${ident(d.finalName)}`);
	const finalCol = ident(d.finalName);
	if (d.notNull) {
		finish.push(`ALTER TABLE ${target} ALTER COLUMN ${finalCol} SET NOT NULL`, `ALTER TABLE ${target} DROP CONSTRAINT ${ident(notNullCheck(ctx.migrationId, table, shadow).name)}`);
	}

	for (const index of carried) {
		finish.push(
			index.constraint
				? `ALTER TABLE ${target} ADD CONSTRAINT ${ident(index.constraint)} UNIQUE USING INDEX ${ident(index.tmp)}`
				: `ALTER INDEX ${qualified(table.schema, index.tmp)} RENAME TO ${ident(index.name)}`,
		);
	}

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
		why: 'Contract last, in one transaction: only once no application version reads the old column is it dropped.',
	});

	const fragments: Fragment[] = [
		{what: `${d.at}.up`, table: rows, expression: d.up, castTo: d.type},
		{what: `${d.at}.down`, table: rows, expression: d.down, castTo: old.type, bind: {[old.name]: d.type, [d.finalName]: d.type}},
	];
	// The working catalog now holds the final shape, the shadow standing in for it until contract.
	table.columns.splice(table.columns.indexOf(old), 1, {name: d.finalName, type: d.type, notNull: d.notNull, default: d.default, physical: shadow});
	return {steps, fragments};
}
