import {z} from 'zod';
import {backfillForward, backfillSpec, backfillWhy} from '../backfill-sql.js';
import {badInput} from '../errors.js';
import type {StepSpec} from '../plan.js';
import {checkIdentifier, ident, qualified, shown} from '../sql.js';
import {checkColumnFields, columnInfo, commentOnColumn, isSerial, requireReferenced, storedType, versionColumn} from './column-sql.js';
import {checkClause, deferrable, referencesClause} from './constraint-sql.js';
import {physicalTable, type TableInfo} from '../catalog.js';
import {constraintSteps, notNullCheck, type PendingConstraint} from './constraints.js';
import {defineOperation} from './definition.js';
import {columnSchema, name, sqlText, type ColumnDefinition} from './fields.js';
import {checkExpression, enclosed, requireNoColumn, requireRowKey, requireTable, type CompileContext, type Compiled, type Fragment} from './operation.js';
import {assignBlock, rowTrigger, type TriggerSql} from './triggers.js';
import {verifySpec} from '../verify-sql.js';

const schema = z.strictObject({table: name, column: columnSchema, up: sqlText.optional()});
type AddColumn = z.infer<typeof schema>;

// A literal, optionally cast to a plain type name: 'x', 42, -1.5, true, 'active'::text, '0'::numeric(10,2).
// Kept this narrow on purpose: anything else may be volatile and keeps the batched backfill.
const constantDefault = /^\s*(?:'(?:[^']|'')*'|[+-]?\d+(?:\.\d+)?|true|false)(?:\s*::\s*[a-z_][a-z0-9_]*(?: [a-z_][a-z0-9_]*)*(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?)?\s*$/i;

export const isConstant = (expression: string) => constantDefault.test(expression);

/** What the phases of one add_column share, worked out once from the plan file. */
interface Addition {
	at: string;
	ctx: CompileContext;
	table: TableInfo;
	column: ColumnDefinition;
	target: string;
	col: string;
	nullable: boolean;
	up?: string;
	default?: string;
	/** A literal default with no `up`: PostgreSQL's own instant default (11+), nothing to backfill. */
	instant: boolean;
	/** The default applies from expand: no `up` needs to tell a row that left the column out (NULL) from one that set it. */
	defaultNow: boolean;
	/** The value existing rows receive: from `up`, else the default (as PostgreSQL would give them). */
	fill?: string;
	/** serial and its kin: PostgreSQL numbers every row as it adds the column (a rewrite), NOT NULL already. */
	serial: boolean;
}

function plan(body: AddColumn, ctx: CompileContext): Addition {
	const at = `operations[${ctx.operation}].add_column`;
	const table = requireTable(ctx, body.table, at);
	const {column} = body;
	requireNoColumn(table, column.name, `${at}.column.name`);
	checkColumnFields(column, `${at}.column`);
	// WHY refuse (as pgroll does)? Every existing row would be computed under an exclusive lock.
	if (column.generated) throw badInput(`${at}.column.generated: adding a generated column computes every existing row under an ACCESS EXCLUSIVE lock`, 'add a plain column with "up", or create the table with it');
	if (column.pk && table.primaryKey.length > 0) throw badInput(`${at}.column.pk: ${shown(table.name)} already has a primary key (${table.primaryKey.join(', ')})`, 'add the column without pk');
	const serial = isSerial(column.type);
	const nullable = serial || (column.nullable ?? false) && !column.pk;
	const up = body.up === undefined ? undefined : checkExpression(body.up, `${at}.up`);
	if (serial && up !== undefined) throw badInput(`${at}.up: a ${column.type} column numbers its rows itself`, 'leave up out, or use an integer type');
	const defaultValue = column.default ?? undefined;
	if (serial && defaultValue !== undefined) throw badInput(`${at}.column.default: a ${column.type} column has its sequence as default`, 'leave default out, or use an integer type');
	// WHY refuse? Existing rows would have nothing to hold: NOT NULL could never be validated.
	if (!nullable && up === undefined && defaultValue === undefined) {
		throw badInput(`${at}: column ${shown(column.name)} is NOT NULL but has neither a default nor "up"`, 'add "up" (an expression over existing columns), a default, or make it nullable: true');
	}

	const instant = up === undefined && defaultValue !== undefined && isConstant(defaultValue);
	return {
		at,
		ctx,
		table,
		column,
		target: qualified(table.schema, table.name),
		col: ident(column.name),
		nullable,
		up,
		default: defaultValue,
		instant,
		defaultNow: defaultValue !== undefined && up === undefined,
		fill: instant ? undefined : (up ?? defaultValue),
		serial,
	};
}

/** Every expression from the plan file, to be proved one expression of the column's type; every type, proved a type. */
function fragmentsOf(a: Addition): Fragment[] {
	const {at, table, column} = a;
	const fragments: Fragment[] = [{what: `${at}.column.type`, table: structuredClone(table), expression: 'NULL', castTo: storedType(column.type)}];
	if (a.up !== undefined) fragments.push({what: `${at}.up`, table: physicalTable(table), expression: a.up, castTo: column.type});
	if (a.default !== undefined) fragments.push({what: `${at}.column.default`, table: physicalTable(table), expression: a.default, castTo: column.type});
	if (column.check) {
		const withColumn = physicalTable(table);
		withColumn.columns.push({name: column.name, type: storedType(column.type), notNull: false, default: null});
		fragments.push({what: `${at}.column.check.constraint`, table: withColumn, expression: column.check.constraint, castTo: 'boolean'});
	}

	return fragments;
}

/** Expand: the column, nullable (instant); a constant default with it, or a plain one for new rows. */
function addStep(a: Addition): StepSpec {
	const {column, target, col, instant} = a;
	const forward = [`ALTER TABLE ${target} ADD COLUMN ${col} ${column.type}${instant ? ` DEFAULT ${enclosed(a.default!)}` : ''}`];
	if (a.defaultNow && !instant) forward.push(`ALTER TABLE ${target} ALTER COLUMN ${col} SET DEFAULT ${enclosed(a.default!)}`);
	if (column.comment != null) forward.push(commentOnColumn(a.table.schema, a.table.name, column.name, column.comment));
	return {
		phase: 'EXPANDING',
		operation: a.ctx.operation,
		kind: 'ddl',
		table: a.table.name,
		description: `Add column "${column.name}" ${column.type}${instant ? ` DEFAULT ${a.default!.trim().slice(0, 30)}` : ''}${a.serial ? ', numbering every row' : ' (nullable for now)'} to "${a.table.name}"`,
		forward,
		rollback: [`ALTER TABLE ${target} DROP COLUMN IF EXISTS ${col}`],
		why: a.serial
			? 'A serial column is numbered from its sequence for every existing row as it is added: the table is rewritten under the lock (lint says so).'
			: instant
			? 'A constant default is stored once in the catalog and read by every existing row: no rewrite, no backfill, a lock held for an instant.'
			: 'Adding a nullable column without a default only touches the catalog: no rewrite, a lock held for an instant.',
	};
}

/**
 * Expand: with `up`, a trigger fills the column for the old version's writes. WHY only the old
 * version's, and on UPDATE too? The old application does not know the column: its change to
 * username must reach display_name. The new one sets it itself, and its value is never recomputed.
 */
function fillTrigger(a: Addition): TriggerSql | undefined {
	if (a.up === undefined) return undefined;
	const rows = physicalTable(a.table);
	return rowTrigger(a.ctx.migrationId, a.ctx.operation, rows, assignBlock(rows, a.column.name, a.up), 'old', a.ctx.versionSchema);
}

function triggerStep(a: Addition, trigger: TriggerSql): StepSpec {
	return {
		phase: 'EXPANDING',
		operation: a.ctx.operation,
		kind: 'ddl',
		table: a.table.name,
		description: `Fill "${a.column.name}" from up for rows the old application writes`,
		forward: trigger.create,
		rollback: trigger.drop,
		why: 'The old application does not know the new column; the trigger fills it for every row it writes from now on.',
	};
}

/** Migrate: existing rows get their value in batches. */
function backfillStep(a: Addition, fill: string): StepSpec {
	const key = requireRowKey(a.table, a.at);
	const backfill = backfillSpec(a.table, key, a.column.name, fill);
	// Only a NOT NULL column filled from `up` can be verified (see verify-sql.ts).
	const verify = a.up !== undefined && !a.nullable ? verifySpec({table: physicalTable(a.table), key, column: a.column.name, type: a.column.type, up: a.up}) : undefined;
	return {
		phase: 'MIGRATING',
		operation: a.ctx.operation,
		kind: 'backfill',
		table: a.table.name,
		description: `Backfill "${a.column.name}" = ${fill.replace(/\s+/g, ' ').slice(0, 40)} in batches`,
		forward: backfillForward(backfill),
		rollback: [],
		backfill,
		...(verify ? {verify} : {}),
		why: backfillWhy,
	};
}

/** Contract: NOT NULL (through a CHECK), the column's check and reference, NOT VALID then VALIDATE. */
function constraintsOf(a: Addition): PendingConstraint[] {
	const {at, ctx, table, column, col} = a;
	const constraints: PendingConstraint[] = [];
	if (!a.nullable) constraints.push(notNullCheck(ctx.migrationId, table, column.name));
	if (column.check) constraints.push({name: column.check.name, definition: checkClause(column.check.constraint, column.check.no_inherit)});
	if (column.references) {
		const ref = column.references;
		// The referenced table and column are proved to exist now, not at the contract step.
		requireReferenced(ctx, column, `${at}.column`, table);
		constraints.push({
			name: ref.name,
			definition: `FOREIGN KEY (${col}) ${referencesClause(table.schema, ref.table, [ref.column], ref, `${at}.column.references`, [column.name])}${deferrable(ref)}`,
		});
	}

	return constraints;
}

/** The index behind UNIQUE or the primary key, named as PostgreSQL would name the constraint. */
const uniqueIndexName = (a: Addition) => (a.column.pk ? `${a.table.name}_pkey` : `${a.table.name}_${a.column.name}_key`);
const needsUniqueIndex = (a: Addition) => a.column.unique === true || a.column.pk === true;

/** Contract: the unique index, built concurrently before the constraint takes it over. */
function uniqueIndexStep(a: Addition): StepSpec {
	const index = uniqueIndexName(a);
	checkIdentifier(index, `${a.at}.column.unique index name`);
	return {
		phase: 'CONTRACTING',
		operation: a.ctx.operation,
		kind: 'concurrent',
		table: a.table.name,
		description: `Build the unique index for ${a.column.pk ? 'the primary key' : `"${a.column.name}"`} concurrently`,
		forward: [`CREATE UNIQUE INDEX CONCURRENTLY ${ident(index)} ON ${a.target} (${a.col})`],
		rollback: [`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(a.table.schema, index)}`],
		why: 'CONCURRENTLY builds the index while writes go on; a plain CREATE INDEX would block them for the whole build.',
	};
}

/** Contract's last transaction: the trigger goes, SET NOT NULL reuses the validated check, the deferred default, UNIQUE. */
function finishStep(a: Addition, trigger: TriggerSql | undefined): StepSpec | undefined {
	const {ctx, table, column, target, col} = a;
	const finish: string[] = [];
	const undo: string[] = [];
	if (trigger) {
		finish.push(...trigger.drop);
		undo.push(...trigger.create);
	}

	if (!a.nullable) {
		const check = notNullCheck(ctx.migrationId, table, column.name);
		finish.push(`ALTER TABLE ${target} ALTER COLUMN ${col} SET NOT NULL`, `ALTER TABLE ${target} DROP CONSTRAINT ${ident(check.name)}`);
		undo.unshift(`ALTER TABLE ${target} ADD CONSTRAINT ${ident(check.name)} CHECK (${col} IS NOT NULL) NOT VALID`, `ALTER TABLE ${target} ALTER COLUMN ${col} DROP NOT NULL`);
	}

	const deferredDefault = a.default !== undefined && !a.defaultNow;
	if (deferredDefault) {
		finish.push(`ALTER TABLE ${target} ALTER COLUMN ${col} SET DEFAULT ${enclosed(a.default!)}`);
		undo.unshift(`ALTER TABLE ${target} ALTER COLUMN ${col} DROP DEFAULT`);
	}

	if (needsUniqueIndex(a)) {
		const index = ident(uniqueIndexName(a));
		// With pk and unique both, the primary key's index is unique already.
		finish.push(`ALTER TABLE ${target} ADD CONSTRAINT ${index} ${column.pk ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${index}`);
		undo.unshift(`ALTER TABLE ${target} DROP CONSTRAINT IF EXISTS ${index}`);
	}

	if (finish.length === 0) return undefined;
	return {
		phase: 'CONTRACTING',
		operation: ctx.operation,
		kind: 'ddl',
		table: table.name,
		final: true,
		description: `Finish "${column.name}": ${[trigger && 'drop the trigger', !a.nullable && 'SET NOT NULL', deferredDefault && 'set the default', column.pk ? 'PRIMARY KEY' : column.unique && 'UNIQUE'].filter(Boolean).join(', ')}`,
		forward: finish,
		rollback: undo,
		why: 'Every row now has its value: the trigger is no longer needed, and NOT NULL reuses the validated check instead of scanning.',
	};
}

/**
 * add_column: expand adds the column nullable (instant) with a trigger that fills it for rows the
 * old application writes; migrate backfills existing rows; contract applies NOT NULL, checks,
 * references and the default the safe way.
 */
function compileAddColumn(body: AddColumn, ctx: CompileContext): Compiled {
	const a = plan(body, ctx);
	const fragments = fragmentsOf(a);
	const trigger = fillTrigger(a);
	const steps: StepSpec[] = [addStep(a)];
	if (trigger) steps.push(triggerStep(a, trigger));
	if (a.fill !== undefined) steps.push(backfillStep(a, a.fill));
	steps.push(...constraintSteps(ctx.operation, a.table, constraintsOf(a), `"${a.column.name}"`));
	if (needsUniqueIndex(a)) steps.push(uniqueIndexStep(a));
	const finish = finishStep(a, trigger);
	if (finish) steps.push(finish);
	a.table.columns.push(columnInfo(a.column, a.table));
	if (a.column.pk) a.table.primaryKey = [a.column.name];
	if (needsUniqueIndex(a)) {
		const index = uniqueIndexName(a);
		(a.table.constraints ??= []).push({name: index, type: a.column.pk ? 'p' : 'u', columns: [a.column.name], definition: '', validated: true});
		(a.table.indexes ??= []).push({name: index, definition: '', columns: [a.column.name], unique: true, constraint: index});
	}

	for (const [name, type] of [[a.column.check?.name, 'c'], [a.column.references?.name, 'f']] as const) {
		if (name) (a.table.constraints ??= []).push({name, type, columns: [a.column.name], definition: '', validated: true, ...(type === 'f' ? {references: a.column.references!.table} : {})});
	}

	return {steps, fragments};
}

export const addColumn = defineOperation({
	kind: 'add_column',
	schema,
	compile: compileAddColumn,
	versions(body, book) {
		const {column} = body;
		if (column.references) book.referencesKey(column.references.table, [column.references.column]);
		book.addColumn(body.table, versionColumn(column), column.pk === true);
	},
});
