import {badInput} from '../errors.js';
import {z} from 'zod';
import type {StepSpec} from '../plan.js';
import {ident, ownedName, qualified, shown} from '../sql.js';
import {compileDuplication} from './duplicate.js';
import {physicalTable} from '../catalog.js';
import {conversionCheck, nullCheck, type Check} from '../checks.js';
import {isSafeWidening} from '../type-change.js';
import {defineOperation} from './definition.js';
import {name, sqlText} from './fields.js';
import {checkExpression, enclosed, requireColumn, requireNoColumn, requireTable, requireUnchanged, type CompileContext, type Compiled, type Fragment} from './operation.js';
import {renameAtContract} from './rename-column.js';

const schema = z.strictObject({
	table: name,
	column: name,
	type: name.optional(),
	nullable: z.boolean().optional(),
	name: name.optional(),
	default: z.string().nullable().optional(),
	up: sqlText.optional(),
	down: sqlText.optional(),
});

/**
 * alter_column: a type change, or making a column NOT NULL, runs through a shadow column (see
 * duplicate.ts) so no row is rewritten under a lock; a default or dropping NOT NULL is an
 * instant catalog change done in place; a name alone is a rename (a view alias until contract).
 */
function compileAlterColumn(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].alter_column`;
	const table = requireTable(ctx, body.table, at);
	const old = requireColumn(table, body.column, `${at}.column`);
	requireUnchanged(old, `${at}.column`);
	if (body.type === undefined && body.nullable === undefined && body.name === undefined && body.default === undefined) {
		throw badInput(`${at}: nothing to change`, 'give at least one of type, nullable, name, default');
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

	const needsShadow = (body.type !== undefined && body.type !== old.type) || (notNull && !old.notNull) || body.up !== undefined;
	const defaultAfter = body.default === undefined ? old.default : body.default;
	// A new default is proved one expression of the final type before anything runs.
	const defaultFragments: Fragment[] = body.default ? [{what: `${at}.default`, table: physicalTable(table), expression: body.default, castTo: type}] : [];

	if (needsShadow) {
		const duplicated = compileDuplication(
			{
				at,
				table,
				old,
				// The new version sees it under its final name through the view, whatever its name here.
				shadow: ownedName('_zdm', old.name, ctx.migrationId, 'new'),
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
		return {steps: duplicated.steps, fragments: [...duplicated.fragments, ...defaultFragments], checks: [...checks, ...(duplicated.checks ?? [])]};
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
	if (finalName !== old.name) steps.push(renameAtContract(ctx, table, old, finalName));

	return {steps, fragments: defaultFragments};
}

export const alterColumn = defineOperation({
	kind: 'alter_column',
	schema,
	compile: compileAlterColumn,
	versions(body, book) {
		book.changeColumn(body.table, body.column, {
			...(body.name === undefined ? {} : {name: body.name}),
			...(body.type === undefined ? {} : {type: body.type}),
			...(body.nullable === undefined ? {} : {notNull: !body.nullable}),
			...(body.default === undefined ? {} : {hasDefault: body.default !== null}),
		});
	},
});
