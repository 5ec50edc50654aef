import {z} from 'zod';
import {physicalName, type ColumnInfo} from '../catalog.js';
import type {Check} from '../checks.js';
import {badInput} from '../errors.js';
import {loadSqlParser} from '../lint/sql/parser.js';
import type {StepSpec} from '../plan.js';
import {ident, ownedName, shown} from '../sql.js';
import {addConstraint, requireNewConstraintName} from './add-constraint.js';
import {defineOperation} from './definition.js';
import {compileDuplication} from './duplicate.js';
import {renameColumnsIn} from './expression-columns.js';
import {columnExpressions, indexParametersSchema, name, tableReferencesSchema} from './fields.js';
import {checkExpression, requireColumn, requireTable, requireUnchanged, type CompileContext, type Compiled, type Fragment} from './operation.js';
import {requireOneStatement} from './statement-proof.js';

const schema = z.strictObject({
	table: name,
	name,
	columns: z.array(name).min(1).max(32).optional(),
	type: z.enum(['unique', 'check', 'foreign_key', 'primary_key', 'exclude']),
	check: z.string().max(100_000).optional(),
	no_inherit: z.boolean().optional(),
	index_parameters: indexParametersSchema.optional(),
	references: tableReferencesSchema.optional(),
	up: columnExpressions,
	down: columnExpressions,
});
type CreateConstraint = z.infer<typeof schema>;

/** `up` or `down` that hands the value on unchanged: the column's own name. */
export const handsOn = (expression: string, column: string) => {
	const text = expression.trim();
	return text === ident(column) || (text === column && column === column.toLowerCase() && /^[a-z_][a-z0-9_$]*$/.test(column));
};

/** pgroll's rule: one `up` and one `down` for each column, and no other. */
export function requireExpressionsPerColumn(columns: string[], expressions: Record<string, string>, field: string, at: string) {
	for (const column of columns) if (!Object.hasOwn(expressions, column)) throw badInput(`${at}.${field}: no expression for column ${shown(column)}`, `give ${field}: {${column}: …} for every column of the constraint (its name hands the value on unchanged)`);
	const extra = Object.keys(expressions).find(column => !columns.includes(column));
	if (extra !== undefined) throw badInput(`${at}.${field}: ${shown(extra)} is not a column of the constraint`, `give ${field} for ${columns.join(', ')} only`);
	for (const column of columns) checkExpression(expressions[column]!, `${at}.${field}.${column}`);
}

/**
 * create_constraint: a constraint over existing rows. When every `up` and `down` hands the value
 * on unchanged, it is added to the columns themselves, the safe way (add-constraint.ts), after
 * the rows are checked before the first step. When an `up` changes values (to make them fit),
 * each such column gets a shadow column filled through it (duplicate.ts), and the constraint
 * goes on the shadow; the old application keeps its values until it is retired.
 */
function compileCreateConstraint(body: CreateConstraint, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].create_constraint`;
	const table = requireTable(ctx, body.table, at);
	requireNewConstraintName(ctx, table, body.name, `${at}.name`);
	// WHY refuse? EXCLUDE can be neither NOT VALID nor USING INDEX in PostgreSQL 15: adding one builds its index under ACCESS EXCLUSIVE.
	if (body.type === 'exclude') throw badInput(`${at}.type: PostgreSQL 15 cannot add an exclusion constraint without building its index under an ACCESS EXCLUSIVE lock`, 'give the table its exclusion constraint in create_table, or use a sql operation knowingly');
	const columns = body.columns ?? [];
	if (body.type !== 'check' && columns.length === 0) throw badInput(`${at}.columns: a ${body.type} constraint needs columns`, 'list the columns it covers');
	if (body.type === 'check' && !body.check) throw badInput(`${at}.check: a check constraint needs its expression`, 'give check: an expression that must hold for every row');
	if (body.type === 'foreign_key' && !body.references) throw badInput(`${at}.references: a foreign key needs references`, 'give references: {table, columns}');
	if (body.type !== 'check' && (body.check || body.no_inherit)) throw badInput(`${at}.${body.check ? 'check' : 'no_inherit'}: only a check constraint has it`, `leave it out of a ${body.type} constraint`);
	if (body.type !== 'foreign_key' && body.references) throw badInput(`${at}.references: only a foreign key references another table`, `leave it out of a ${body.type} constraint`);
	if ((body.type === 'check' || body.type === 'foreign_key') && body.index_parameters) throw badInput(`${at}.index_parameters: a ${body.type} constraint has no index`, 'leave index_parameters out');
	requireExpressionsPerColumn(columns, body.up, 'up', at);
	requireExpressionsPerColumn(columns, body.down, 'down', at);
	const found: ColumnInfo[] = columns.map((column, index) => requireColumn(table, column, `${at}.columns[${index}]`));
	for (const [index, column] of (body.index_parameters?.include_columns ?? []).entries()) requireColumn(table, column, `${at}.index_parameters.include_columns[${index}]`);

	const steps: StepSpec[] = [];
	const fragments: Fragment[] = [];
	const checks: Check[] = [];
	// Where each column's values are at contract: a shadow column when its `up` changes them.
	const physical: Record<string, string> = {};
	for (const column of table.columns) if (physicalName(column) !== column.name) physical[column.name] = physicalName(column);
	let changed = false;
	for (const old of found) {
		if (handsOn(body.up[old.name]!, old.name) && handsOn(body.down[old.name]!, old.name)) continue;
		requireUnchanged(old, `${at}.columns`);
		const shadow = ownedName('_zdm', old.name, ctx.migrationId, 'new');
		const duplicated = compileDuplication(
			{at, table, old, shadow, finalName: old.name, type: old.type, notNull: old.notNull, default: old.default, up: body.up[old.name]!, down: body.down[old.name]!, summary: `constrain ${old.name}`},
			ctx,
		);
		steps.push(...duplicated.steps);
		fragments.push(...duplicated.fragments);
		physical[old.name] = shadow;
		changed = true;
	}

	let check: string | undefined;
	if (body.check) {
		check = checkExpression(body.check, `${at}.check`);
		fragments.push({what: `${at}.check`, table: structuredClone(table), expression: check, castTo: 'boolean'});
		check = renameColumnsIn(check, physical);
	}

	const added = addConstraint(
		ctx,
		table,
		{
			name: body.name,
			type: body.type,
			columns: columns.map(column => physical[column] ?? column),
			check,
			noInherit: body.no_inherit,
			indexParameters: body.index_parameters,
			references: body.references,
			checkRows: !changed,
		},
		at,
	);
	steps.push(...added.steps);
	checks.push(...added.checks);
	if (body.index_parameters?.storage_parameters) for (const step of added.steps) if (step.kind === 'concurrent') requireOneStatement(step.forward[0]!, 'IndexStmt', at, 'index_parameters.storage_parameters');
	(table.constraints ??= []).push({name: body.name, type: ({unique: 'u', check: 'c', foreign_key: 'f', primary_key: 'p'} as const)[body.type], columns, definition: '', validated: true, ...(body.references ? {references: body.references.table} : {})});
	if (body.type === 'unique' || body.type === 'primary_key') (table.indexes ??= []).push({name: body.name, definition: '', columns, unique: true, constraint: body.name});
	if (body.type === 'primary_key') table.primaryKey = [...columns];
	return {steps, fragments, checks};
}

export const createConstraint = defineOperation({
	kind: 'create_constraint',
	schema,
	compile: compileCreateConstraint,
	prepare: loadSqlParser,
	versions(body, book) {
		book.reads(body.table, ...(body.columns ?? []));
		if (body.references) book.referencesKey(body.references.table, body.references.columns);
		if (body.type === 'primary_key' && body.columns) book.setKey(body.table, body.columns);
		// A constrained column can no longer be left out of an insert unless it has a default; the rest is unchanged.
	},
});
