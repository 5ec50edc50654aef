import {badInput} from '../errors.js';
import {z} from 'zod';
import type {StepSpec} from '../plan.js';
import {ident, ownedName, qualified, shown} from '../sql.js';
import {compileDuplication} from './duplicate.js';
import {physicalTable, type TableInfo} from '../catalog.js';
import {conversionCheck, nullCheck, type Check} from '../checks.js';
import {isSafeWidening} from '../type-change.js';
import {defineOperation} from './definition.js';
import {addConstraint, requireNewConstraintName, type NewConstraint} from './add-constraint.js';
import {commentOnColumn} from './column-sql.js';
import {handsOn} from './create-constraint.js';
import {renameColumnsIn} from './expression-columns.js';
import {checkSchema, columnReferencesSchema, name, sqlText} from './fields.js';
import {loadSqlParser} from '../lint/sql/parser.js';
import {checkExpression, enclosed, requireColumn, requireNoColumn, requireTable, requireUnchanged, type CompileContext, type Compiled, type Fragment} from './operation.js';
import {renameAtContract} from './rename-column.js';

const schema = z.strictObject({
	table: name,
	column: name,
	type: name.optional(),
	nullable: z.boolean().optional(),
	name: name.optional(),
	default: z.string().max(100_000).nullable().optional(),
	unique: z.strictObject({name}).optional(),
	check: checkSchema.optional(),
	references: columnReferencesSchema.optional(),
	comment: z.string().max(100_000).nullable().optional(),
	up: sqlText.optional(),
	down: sqlText.optional(),
});
type AlterColumn = z.infer<typeof schema>;

/**
 * The comment, and the constraints alter_column adds (unique, check, references), on the column
 * that holds the final values: the shadow column when there is one (the old application keeps
 * its unconstrained values until it is retired), else the column itself, after its rows are
 * checked. All of them at contract, the safe way (add-constraint.ts); the comment at expand, as
 * pgroll sets it at start.
 */
function commentAndConstraints(body: AlterColumn, ctx: CompileContext, table: TableInfo, old: {name: string; comment?: string}, physical: string, shadowed: boolean, at: string): Required<Compiled> {
	const target = qualified(table.schema, table.name);
	const compiled: Required<Compiled> = {steps: [], fragments: [], checks: []};
	if (body.comment !== undefined) {
		compiled.steps.push({
			phase: 'EXPANDING',
			operation: ctx.operation,
			kind: 'ddl',
			table: table.name,
			description: `${body.comment === null ? 'Remove the comment of' : 'Comment on'} "${body.column}"`,
			forward: [commentOnColumn(table.schema, table.name, physical, body.comment)],
			// A shadow column's comment goes with the column; the column itself gets its old one back.
			rollback: shadowed ? [] : [commentOnColumn(table.schema, table.name, physical, old.comment ?? null)],
			why: 'A comment is catalog only: set at start, as pgroll does, for both versions to read.',
		});
	}

	const wanted: NewConstraint[] = [];
	// The expression may name the column by its old or its final name; both mean the column holding the final values.
	const renames = {[old.name]: physical, [body.name ?? old.name]: physical};
	if (body.unique) wanted.push({name: body.unique.name, type: 'unique', columns: [physical], checkRows: !shadowed});
	if (body.check) {
		const expression = checkExpression(body.check.constraint, `${at}.check.constraint`);
		compiled.fragments.push({what: `${at}.check.constraint`, table: structuredClone(table), expression, castTo: 'boolean', bind: {[old.name]: body.type ?? table.columns.find(column => column.name === (body.name ?? old.name))!.type}});
		wanted.push({name: body.check.name, type: 'check', columns: [physical], check: renameColumnsIn(expression, renames), noInherit: body.check.no_inherit, checkRows: !shadowed});
	}

	if (body.references) {
		const ref = body.references;
		wanted.push({name: ref.name, type: 'foreign_key', columns: [physical], references: {...ref, columns: [ref.column]}, deferrable: ref.deferrable, initiallyDeferred: ref.initially_deferred, checkRows: !shadowed});
	}

	for (const constraint of wanted) {
		requireNewConstraintName(ctx, table, constraint.name, `${at}.${constraint.type === 'foreign_key' ? 'references' : constraint.type}.name`);
		const added = addConstraint(ctx, table, constraint, at);
		compiled.steps.push(...added.steps);
		compiled.checks.push(...added.checks);
		const finalName = body.name ?? old.name;
		(table.constraints ??= []).push({name: constraint.name, type: ({unique: 'u', check: 'c', foreign_key: 'f', primary_key: 'p'} as const)[constraint.type], columns: [finalName], definition: '', validated: true, ...(constraint.references ? {references: constraint.references.table} : {})});
		if (constraint.type === 'unique') (table.indexes ??= []).push({name: constraint.name, definition: '', columns: [finalName], unique: true, constraint: constraint.name});
	}

	if (body.comment !== undefined) {
		const column = table.columns.find(known => known.name === (body.name ?? old.name));
		if (column) column.comment = body.comment ?? undefined;
	}

	return compiled;
}

/**
 * alter_column: a type change, making a column NOT NULL, or an `up` that changes values runs
 * through a shadow column (see duplicate.ts) so no row is rewritten under a lock; a default or
 * dropping NOT NULL is an instant catalog change done in place; a name alone is a rename (a view
 * alias until contract). Several of them, with a comment and constraints, in one operation.
 */
function compileAlterColumn(body: AlterColumn, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].alter_column`;
	const table = requireTable(ctx, body.table, at);
	const old = requireColumn(table, body.column, `${at}.column`);
	requireUnchanged(old, `${at}.column`);
	const changes = [body.type, body.nullable, body.name, body.default, body.unique, body.check, body.references, body.comment];
	if (changes.every(change => change === undefined)) {
		throw badInput(`${at}: nothing to change`, 'give at least one of type, nullable, name, default, unique, check, references, comment');
	}

	if (body.name !== undefined && body.name !== old.name) requireNoColumn(table, body.name, `${at}.name`);
	if (body.up !== undefined) checkExpression(body.up, `${at}.up`);
	if (body.down !== undefined) checkExpression(body.down, `${at}.down`);
	if (body.default) checkExpression(body.default, `${at}.default`);
	const finalName = body.name ?? old.name;
	const type = body.type ?? old.type;
	const notNull = body.nullable === undefined ? old.notNull : !body.nullable;
	if (!notNull && table.primaryKey.includes(old.name)) {
		throw badInput(`${at}.nullable: ${shown(old.name)} is part of the primary key of ${shown(table.name)}, which holds no NULLs`, 'leave "nullable" out, or change the primary key in a migration of its own first');
	}

	// An up that hands the value on unchanged changes nothing: no shadow column is needed for it.
	const transforms = body.up !== undefined && !handsOn(body.up, old.name);
	const needsShadow = (body.type !== undefined && body.type !== old.type) || (notNull && !old.notNull) || transforms;
	const before = {name: old.name, comment: old.comment};
	const defaultAfter = body.default === undefined ? old.default : body.default;
	// A new default is proved one expression of the final type before anything runs.
	const defaultFragments: Fragment[] = body.default ? [{what: `${at}.default`, table: physicalTable(table), expression: body.default, castTo: type}] : [];

	if (needsShadow) {
		const shadow = ownedName('_zdm', old.name, ctx.migrationId, 'new');
		const duplicated = compileDuplication(
			{
				at,
				table,
				old,
				// The new version sees it under its final name through the view, whatever its name here.
				shadow,
				finalName,
				type,
				notNull,
				default: defaultAfter,
				up: body.up ?? `CAST(${ident(old.name)} AS ${type})`,
				down: body.down ?? `CAST(${ident(finalName)} AS ${old.type})`,
				summary: `alter ${old.name}`,
			},
			ctx,
		);
		// What contract or the backfill would find only after a full pass, found now over the rows as they are.
		const checks: Check[] = [];
		if (body.up === undefined && !isSafeWidening(old.type, type)) checks.push(conversionCheck(`${at}.type`, table, old.name, old.type, type));
		if (body.up === undefined && notNull && !old.notNull) checks.push(nullCheck(`${at}.nullable`, table, old.name));
		const extra = commentAndConstraints(body, ctx, table, before, shadow, true, at);
		return {steps: [...duplicated.steps, ...extra.steps], fragments: [...duplicated.fragments, ...defaultFragments, ...extra.fragments], checks: [...checks, ...(duplicated.checks ?? []), ...extra.checks]};
	}

	const target = qualified(table.schema, table.name);
	const col = ident(old.name);
	const forward: string[] = [];
	const rollback: string[] = [];
	if (body.default !== undefined && body.default !== old.default) {
		forward.push(body.default === null ? `ALTER TABLE ${target} ALTER COLUMN ${col} DROP DEFAULT` : `ALTER TABLE ${target} ALTER COLUMN ${col} SET DEFAULT ${enclosed(body.default)}`);
		rollback.unshift(old.default === null ? `ALTER TABLE ${target} ALTER COLUMN ${col} DROP DEFAULT` : `ALTER TABLE ${target} ALTER COLUMN ${col} SET DEFAULT ${enclosed(old.default)}`);
	}

	if (old.notNull && !notNull) {
		forward.push(`ALTER TABLE ${target} ALTER COLUMN ${col} DROP NOT NULL`);
		rollback.unshift(`ALTER TABLE ${target} ALTER COLUMN ${col} SET NOT NULL`);
	}

	const steps: StepSpec[] = [];
	if (forward.length > 0) {
		steps.push({
			phase: 'EXPANDING',
			operation: ctx.operation,
			kind: 'ddl',
			table: table.name,
			description: `Alter "${old.name}" in place: ${forward.length === 2 ? 'default and nullability' : body.default === undefined ? 'DROP NOT NULL' : 'default'}`,
			forward,
			rollback,
			why: 'A default or dropping NOT NULL only changes the catalog: the lock is held for an instant and no row is rewritten.',
		});
	}

	old.default = defaultAfter;
	old.notNull = notNull;
	const physical = old.name;
	if (finalName !== old.name) steps.push(renameAtContract(ctx, table, old, finalName));
	const extra = commentAndConstraints(body, ctx, table, before, physical, false, at);
	return {steps: [...steps, ...extra.steps], fragments: [...defaultFragments, ...extra.fragments], checks: extra.checks};
}

export const alterColumn = defineOperation({
	kind: 'alter_column',
	schema,
	compile: compileAlterColumn,
	prepare: async body => (body.check ? loadSqlParser() : undefined),
	versions(body, book) {
		if (body.references) book.referencesKey(body.references.table, [body.references.column]);
		book.changeColumn(body.table, body.column, {
			...(body.name === undefined ? {} : {name: body.name}),
			...(body.type === undefined ? {} : {type: body.type}),
			...(body.nullable === undefined ? {} : {notNull: !body.nullable}),
			...(body.default === undefined ? {} : {hasDefault: body.default !== null}),
		});
	},
});
