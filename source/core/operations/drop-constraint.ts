import {z} from 'zod';
import type {ConstraintInfo, TableInfo} from '../catalog.js';
import {badInput} from '../errors.js';
import type {StepSpec} from '../plan.js';
import {checkIdentifier, ident, literal, qualified, shown} from '../sql.js';
import {handsOn, requireExpressionsPerColumn} from './create-constraint.js';
import {defineOperation} from './definition.js';
import {columnExpressions, name, sqlText} from './fields.js';
import {requireTable, type CompileContext, type Compiled} from './operation.js';

const kinds: Record<ConstraintInfo['type'], string> = {p: 'primary key', u: 'unique', c: 'check', f: 'foreign key', x: 'exclusion'};

function requireConstraint(ctx: CompileContext, table: TableInfo, name: string, at: string): ConstraintInfo {
	checkIdentifier(name, `${at}.name`);
	const constraint = table.constraints?.find(known => known.name === name);
	if (!constraint) throw badInput(`${at}.name: ${shown(table.name)} has no constraint ${shown(name)}`, `existing constraints: ${(table.constraints ?? []).map(known => shown(known.name)).join(', ') || 'none'}`);
	// pgroll's rule: CHECK, FOREIGN KEY and UNIQUE. WHY not the primary key? Every version's writes, and the backfills, rely on it.
	if (!['c', 'f', 'u'].includes(constraint.type)) throw badInput(`${at}.name: ${shown(name)} is a ${kinds[constraint.type]} constraint; only check, foreign key and unique constraints can be dropped`, 'drop it with a sql operation that says how to undo it');
	return constraint;
}

/**
 * The constraint goes at contract, in the last transaction; until then it holds for both
 * versions. Rollback adds it again as PostgreSQL describes it (validated, as it was).
 * WHY only when up and down hand values on unchanged? A `down` that changes the new version's
 * values for the old one needs a column of its own per version; zdm does not build those for a
 * dropped constraint yet, and says so rather than dropping it early.
 */
function dropStep(ctx: CompileContext, table: TableInfo, constraint: ConstraintInfo, at: string, expressions: {up?: Record<string, string>; down: Record<string, string>}): StepSpec {
	for (const column of constraint.columns) {
		for (const [field, given] of Object.entries(expressions)) {
			const expression = given?.[column];
			if (expression !== undefined && !handsOn(expression, column)) {
				throw badInput(`${at}.${field}.${column}: a ${field} that changes values while a constraint is dropped is not supported yet`, `give ${field}: ${column} (the value unchanged): the constraint then holds until contract drops it`);
			}
		}
	}

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
		return {steps: [dropStep(ctx, table, constraint, at, {up: {[column!]: body.up}, down: {[column!]: body.down}})], fragments: []};
	},
	versions: (body, book) => book.reads(body.table),
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
		return {steps: [dropStep(ctx, table, constraint, at, {up: body.up, down: body.down})], fragments: []};
	},
	versions: (body, book) => book.reads(body.table),
});
