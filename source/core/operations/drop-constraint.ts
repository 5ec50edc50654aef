import {z} from 'zod';
import type {ConstraintInfo, TableInfo} from '../catalog.js';
import {badInput} from '../errors.js';
import type {StepSpec} from '../plan.js';
import {checkIdentifier, ident, literal, ownedName, qualified, shown} from '../sql.js';
import {compileDuplication} from './duplicate.js';
import {handsOn, requireExpressionsPerColumn} from './create-constraint.js';
import {defineOperation} from './definition.js';
import {columnExpressions, name, sqlText} from './fields.js';
import {requireColumn, requireTable, requireUnchanged, type CompileContext, type Compiled} from './operation.js';

const kinds: Record<ConstraintInfo['type'], string> = {p: 'primary key', u: 'unique', c: 'check', f: 'foreign key', x: 'exclusion'};

function requireConstraint(ctx: CompileContext, table: TableInfo, name: string, at: string): ConstraintInfo {
	checkIdentifier(name, `${at}.name`);
	const constraint = table.constraints?.find(known => known.name === name);
	if (!constraint) throw badInput(`${at}.name: ${shown(table.name)} has no constraint ${shown(name)}`, `existing constraints: ${(table.constraints ?? []).map(known => shown(known.name)).join(', ') || 'none'}`);
	// pgroll's rule: CHECK, FOREIGN KEY and UNIQUE. WHY not the primary key? Every version's writes, and the backfills, rely on it.
	if (!['c', 'f', 'u'].includes(constraint.type)) throw badInput(`${at}.name: ${shown(name)} is a ${kinds[constraint.type]} constraint; only check, foreign key and unique constraints can be dropped`, 'drop it with a sql operation that says how to undo it');
	return constraint;
}

interface Expressions {
	up?: Record<string, string>;
	down: Record<string, string>;
}

/**
 * When `up` and `down` hand values on unchanged, the constraint goes at contract, in the last
 * transaction; until then it holds for both versions. Rollback adds it again as PostgreSQL
 * describes it (validated or not, as it was).
 */
function dropStep(ctx: CompileContext, table: TableInfo, constraint: ConstraintInfo): StepSpec {
	const target = qualified(table.schema, table.name);
	table.constraints = table.constraints!.filter(known => known !== constraint);
	if (constraint.type === 'u') table.indexes = table.indexes?.filter(index => index.constraint !== constraint.name);
	const restore = [`ALTER TABLE ${target} ADD CONSTRAINT ${ident(constraint.name)} ${constraint.definition}${constraint.validated ? '' : ' NOT VALID'}`];
	if (constraint.comment !== undefined) restore.push(`COMMENT ON CONSTRAINT ${ident(constraint.name)} ON ${target} IS ${literal(constraint.comment)}`);
	return {
		phase: 'CONTRACTING',
		operation: ctx.operation,
		kind: 'ddl',
		table: table.name,
		final: true,
		description: `Drop ${kinds[constraint.type]} constraint "${constraint.name}" of "${table.name}"`,
		forward: [`ALTER TABLE ${target} DROP CONSTRAINT ${ident(constraint.name)}`],
		rollback: restore,
		why: 'Until contract the old application may rely on the constraint; dropping it is an instant, in the last transaction.',
	};
}

/**
 * When a `down` (or `up`) changes values, the new version must be free of the constraint while
 * the old one keeps it: each constrained column gets a shadow column without it (duplicate.ts),
 * the new version's view shows the shadows, the sync trigger passes the new version's writes
 * through `down` to the old, constrained columns, and contract drops the old columns, and the
 * constraint with them.
 */
function dropThroughShadows(ctx: CompileContext, table: TableInfo, constraint: ConstraintInfo, at: string, expressions: Expressions): Compiled {
	// The shadows are built from the table as it is without the dropped constraint: the constraint is not carried over.
	const without = (name?: string) => name !== constraint.name;
	const free: TableInfo = {
		...structuredClone(table),
		dependents: table.dependents?.filter(dependent => without(dependent.name) && without(dependent.constraint)),
		constraints: table.constraints?.filter(known => without(known.name)),
		indexes: table.indexes?.filter(index => without(index.constraint)),
	};
	const compiled: Compiled = {steps: [], fragments: []};
	for (const name of constraint.columns) {
		const old = requireColumn(free, name, `${at}.name`);
		requireUnchanged(old, `${at}.name`);
		const duplicated = compileDuplication(
			{at, table: free, old, shadow: ownedName('_zdm', old.name, ctx.migrationId, 'new'), finalName: old.name, type: old.type, notNull: old.notNull, default: old.default, up: expressions.up?.[name] ?? ident(name), down: expressions.down[name]!, summary: `free ${name} of ${constraint.name}`},
			ctx,
		);
		compiled.steps.push(...duplicated.steps);
		compiled.fragments.push(...duplicated.fragments);
	}

	// The working table takes the shadows' columns; its other indexes and constraints stay as they were.
	table.columns = free.columns;
	table.constraints = free.constraints;
	table.indexes = free.indexes;
	table.dependents = table.dependents?.filter(dependent => without(dependent.name) && without(dependent.constraint));
	return compiled;
}

function compileDrop(ctx: CompileContext, table: TableInfo, constraint: ConstraintInfo, at: string, expressions: Expressions): Compiled {
	const unchanged = constraint.columns.every(column => [expressions.up?.[column], expressions.down[column]].every(expression => expression === undefined || handsOn(expression, column)));
	return unchanged ? {steps: [dropStep(ctx, table, constraint)], fragments: []} : dropThroughShadows(ctx, table, constraint, at, expressions);
}

const single = z.strictObject({table: name, name, up: sqlText, down: sqlText});
const multi = z.strictObject({table: name, name, up: columnExpressions.optional(), down: columnExpressions});

/** drop_constraint (pgroll's deprecated form): one column's constraint, `up` and `down` for that column. */
export const dropConstraint = defineOperation({
	kind: 'drop_constraint',
	schema: single,
	compile(body, ctx): Compiled {
		const at = `operations[${ctx.operation}].drop_constraint`;
		const table = requireTable(ctx, body.table, at);
		const constraint = requireConstraint(ctx, table, body.name, at);
		if (constraint.columns.length !== 1) throw badInput(`${at}.name: ${shown(constraint.name)} covers ${constraint.columns.length} columns`, 'use drop_multicolumn_constraint, with up and down for each column');
		const [column] = constraint.columns;
		return compileDrop(ctx, table, constraint, at, {up: {[column!]: body.up}, down: {[column!]: body.down}});
	},
	// The column is not named: `up` (or `down`) handing it on unchanged names it.
	versions: (body, book) => book.needsConstraint(body.table, body.name, [body.up, body.down].filter(expression => /^[a-z_][a-z0-9_$]*$/.test(expression.trim())).slice(0, 1).map(expression => expression.trim())),
});

/** drop_multicolumn_constraint: any number of columns, `down` (and optionally `up`) for each. */
export const dropMulticolumnConstraint = defineOperation({
	kind: 'drop_multicolumn_constraint',
	schema: multi,
	compile(body, ctx): Compiled {
		const at = `operations[${ctx.operation}].drop_multicolumn_constraint`;
		const table = requireTable(ctx, body.table, at);
		const constraint = requireConstraint(ctx, table, body.name, at);
		requireExpressionsPerColumn(constraint.columns, body.down, 'down', at);
		if (body.up) requireExpressionsPerColumn(constraint.columns, body.up, 'up', at);
		return compileDrop(ctx, table, constraint, at, {up: body.up, down: body.down});
	},
	versions: (body, book) => book.needsConstraint(body.table, body.name, Object.keys(body.down)),
});
