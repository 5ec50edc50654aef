import {backfillForward, backfillSpec} from '../backfill-sql.js';
import {badInput} from '../errors.js';
import type {OperationBody} from '../plan-file.js';
import type {StepSpec} from '../plan.js';
import {checkIdentifier, ident, qualified, shown} from '../sql.js';
import {physicalTable} from '../catalog.js';
import {constraintSteps, notNullCheck, type PendingConstraint} from './constraints.js';
import {checkExpression, enclosed, requireColumn, requireNoColumn, requireRowKey, requireTable, type CompileContext, type Compiled, type Fragment} from './operation.js';
import {assignBlock, rowTrigger} from './triggers.js';

// A literal, optionally cast to a plain type name: 'x', 42, -1.5, true, 'active'::text, '0'::numeric(10,2).
// Kept this narrow on purpose: anything else may be volatile and keeps the batched backfill.
const constantDefault = /^\s*(?:'(?:[^']|'')*'|[+-]?\d+(?:\.\d+)?|true|false)(?:\s*::\s*[a-z_][a-z0-9_]*(?: [a-z_][a-z0-9_]*)*(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?)?\s*$/i;

export const isConstant = (expression: string) => constantDefault.test(expression);

/**
 * add_column: expand adds the column nullable (instant) with a trigger that fills it for rows the
 * old application writes; migrate backfills existing rows; contract applies NOT NULL, checks,
 * references and the default the safe way.
 */
export function compileAddColumn(body: OperationBody<'add_column'>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].add_column`;
	const table = requireTable(ctx, body.table, at);
	const {column} = body;
	requireNoColumn(table, column.name, `${at}.column.name`);
	const nullable = column.nullable ?? false;
	const up = body.up === undefined ? undefined : checkExpression(body.up, `${at}.up`);
	const defaultValue = column.default ?? undefined;
	if (defaultValue !== undefined) checkExpression(defaultValue, `${at}.column.default`);
	// WHY refuse? Existing rows would have nothing to hold: NOT NULL could never be validated.
	if (!nullable && up === undefined && defaultValue === undefined) {
		throw badInput(`${at}: column ${shown(column.name)} is NOT NULL but has neither a default nor "up"`, 'add "up" (an expression over existing columns), a default, or make it nullable: true');
	}

	const target = qualified(table.schema, table.name);
	const col = ident(column.name);
	const fragments: Fragment[] = [];
	// A literal default with no `up` is PostgreSQL's own instant default (11+): existing rows read it
	// from the catalog, nothing is written, so there is nothing to backfill.
	const instant = up === undefined && defaultValue !== undefined && isConstant(defaultValue);
	// The value existing rows receive: from `up`, else the default (as PostgreSQL would give them).
	const fill = instant ? undefined : (up ?? defaultValue);
	// Every type from the plan file is proved a type, even where no expression uses it.
	fragments.push({what: `${at}.column.type`, table: structuredClone(table), expression: 'NULL', castTo: column.type});
	if (up !== undefined) fragments.push({what: `${at}.up`, table: physicalTable(table), expression: up, castTo: column.type});
	if (defaultValue !== undefined) fragments.push({what: `${at}.column.default`, table: physicalTable(table), expression: defaultValue, castTo: column.type});
	if (column.check) {
		checkIdentifier(column.check.name, `${at}.column.check.name`);
		checkExpression(column.check.constraint, `${at}.column.check.constraint`);
		const withColumn = physicalTable(table);
		withColumn.columns.push({name: column.name, type: column.type, notNull: false, default: null});
		fragments.push({what: `${at}.column.check.constraint`, table: withColumn, expression: column.check.constraint, castTo: 'boolean'});
	}

	const steps: StepSpec[] = [];
	const expand: string[] = [`ALTER TABLE ${target} ADD COLUMN ${col} ${column.type}${instant ? ` DEFAULT ${enclosed(defaultValue)}` : ''}`];
	// Without `up`, the default can apply to new rows at once; with `up`, it waits for contract so
	// the trigger can tell a row that left the column out (NULL) from one that set it.
	const defaultNow = defaultValue !== undefined && up === undefined;
	if (defaultNow && !instant) expand.push(`ALTER TABLE ${target} ALTER COLUMN ${col} SET DEFAULT ${enclosed(defaultValue)}`);
	steps.push({
		phase: 'EXPANDING',
		operation: ctx.operation,
		kind: 'ddl',
		table: table.name,
		description: `Add column "${column.name}" ${column.type}${instant ? ` DEFAULT ${defaultValue.trim().slice(0, 30)}` : ''} (nullable for now) to "${table.name}"`,
		forward: expand,
		rollback: [`ALTER TABLE ${target} DROP COLUMN IF EXISTS ${col}`],
		why: instant
			? 'A constant default is stored once in the catalog and read by every existing row: no rewrite, no backfill, a lock held for an instant.'
			: 'Adding a nullable column without a default only touches the catalog: no rewrite, a lock held for an instant.',
	});

	// WHY only the old version's writes, and on UPDATE too? The old application does not know the
	// column: its change to username must reach display_name. The new one sets it itself, and a
	// value it sets is never recomputed.
	const rows = physicalTable(table);
	const trigger = up === undefined ? undefined : rowTrigger(ctx.migrationId, ctx.operation, rows, assignBlock(rows, column.name, up), 'old', ctx.versionSchema);
	if (trigger) {
		steps.push({
			phase: 'EXPANDING',
			operation: ctx.operation,
			kind: 'ddl',
			table: table.name,
			description: `Fill "${column.name}" from up for rows the old application writes`,
			forward: trigger.create,
			rollback: trigger.drop,
			why: 'The old application does not know the new column; the trigger fills it for every row it writes from now on.',
		});
	}

	if (fill !== undefined) {
		const key = requireRowKey(table, at);
		const backfill = backfillSpec(table, key, column.name, fill, true);
		steps.push({
			phase: 'MIGRATING',
			operation: ctx.operation,
			kind: 'backfill',
			table: table.name,
			description: `Backfill "${column.name}" = ${fill.replace(/\s+/g, ' ').slice(0, 40)} in batches`,
			forward: backfillForward(backfill),
			rollback: [],
			backfill,
			why: 'Batches by primary key, each its own short transaction: writers wait for one batch at most, never the whole table.',
		});
	}

	const constraints: PendingConstraint[] = [];
	if (!nullable) constraints.push(notNullCheck(ctx.migrationId, table, column.name));
	if (column.check) constraints.push({name: column.check.name, definition: `CHECK (\n${column.check.constraint}\n)`});
	if (column.references) {
		const ref = column.references;
		checkIdentifier(ref.name, `${at}.column.references.name`);
		// The referenced table and column are proved to exist now, not at the contract step.
		const referenced = ref.table === table.name ? table : requireTable(ctx, ref.table, `${at}.column.references.table`);
		requireColumn(referenced, ref.column, `${at}.column.references.column`);
		constraints.push({
			name: ref.name,
			definition: `FOREIGN KEY (${col}) REFERENCES ${qualified(table.schema, ref.table)} (${ident(ref.column)})${ref.on_delete ? ` ON DELETE ${ref.on_delete}` : ''}`,
		});
	}

	steps.push(...constraintSteps(ctx.operation, table, constraints, `"${column.name}"`));

	if (column.unique) {
		const index = `${column.name}_key`;
		checkIdentifier(`${table.name}_${index}`, `${at}.column.unique index name`);
		steps.push({
			phase: 'CONTRACTING',
			operation: ctx.operation,
			kind: 'concurrent',
			table: table.name,
			description: `Build the unique index for "${column.name}" concurrently`,
			forward: [`CREATE UNIQUE INDEX CONCURRENTLY ${ident(`${table.name}_${index}`)} ON ${target} (${col})`],
			rollback: [`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(table.schema, `${table.name}_${index}`)}`],
			why: 'CONCURRENTLY builds the index while writes go on; a plain CREATE INDEX would block them for the whole build.',
		});
	}

	const finish: string[] = [];
	const undo: string[] = [];
	if (trigger) {
		finish.push(...trigger.drop);
		undo.push(...trigger.create);
	}

	if (!nullable) {
		const check = notNullCheck(ctx.migrationId, table, column.name);
		finish.push(`ALTER TABLE ${target} ALTER COLUMN ${col} SET NOT NULL`, `ALTER TABLE ${target} DROP CONSTRAINT ${ident(check.name)}`);
		undo.unshift(`ALTER TABLE ${target} ADD CONSTRAINT ${ident(check.name)} CHECK (${col} IS NOT NULL) NOT VALID`, `ALTER TABLE ${target} ALTER COLUMN ${col} DROP NOT NULL`);
	}

	if (defaultValue !== undefined && !defaultNow) {
		finish.push(`ALTER TABLE ${target} ALTER COLUMN ${col} SET DEFAULT ${enclosed(defaultValue)}`);
		undo.unshift(`ALTER TABLE ${target} ALTER COLUMN ${col} DROP DEFAULT`);
	}

	if (column.unique) {
		finish.push(`ALTER TABLE ${target} ADD CONSTRAINT ${ident(`${table.name}_${column.name}_key`)} UNIQUE USING INDEX ${ident(`${table.name}_${column.name}_key`)}`);
		undo.unshift(`ALTER TABLE ${target} DROP CONSTRAINT IF EXISTS ${ident(`${table.name}_${column.name}_key`)}`);
	}

	if (finish.length > 0) {
		steps.push({
			phase: 'CONTRACTING',
			operation: ctx.operation,
			kind: 'ddl',
			table: table.name,
			final: true,
			description: `Finish "${column.name}": ${[trigger && 'drop the trigger', !nullable && 'SET NOT NULL', defaultValue !== undefined && !defaultNow && 'set the default', column.unique && 'UNIQUE'].filter(Boolean).join(', ')}`,
			forward: finish,
			rollback: undo,
			why: 'Every row now has its value: the trigger is no longer needed, and NOT NULL reuses the validated check instead of scanning.',
		});
	}

	table.columns.push({name: column.name, type: column.type, notNull: !nullable, default: defaultValue ?? null});
	return {steps, fragments};
}
