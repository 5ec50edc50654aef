import {z} from 'zod';
import type {TableInfo} from '../catalog.js';
import {badInput} from '../errors.js';
import {loadSqlParser} from '../lint/sql/parser.js';
import {checkIdentifier, ident, literal, qualified, shown} from '../sql.js';
import {
	checkColumnFields,
	columnCheckClause,
	columnFragments,
	columnInfo,
	columnNotNull,
	columnReferencesClause,
	commentOnColumn,
	generatedClause,
	requireReferenced,
	versionColumn,
} from './column-sql.js';
import {requireReferenceable} from './add-constraint.js';
import {columnList, tableConstraintClause} from './constraint-sql.js';
import {defineOperation} from './definition.js';
import {columnSchema, name, tableConstraintSchema, type ColumnDefinition, type TableConstraint} from './fields.js';
import {enclosed, requireColumn, requireNoRelation, requireTable, type CompileContext, type Compiled, type Fragment} from './operation.js';
import {requireOneStatement} from './statement-proof.js';

const schema = z.strictObject({
	name,
	columns: z.array(columnSchema).min(1).max(1600),
	constraints: z.array(tableConstraintSchema).max(100).optional(),
	comment: z.string().max(100_000).optional(),
});
type CreateTable = z.infer<typeof schema>;

function columnClause(schemaName: string, column: ColumnDefinition, at: string): string {
	let sql = `${ident(column.name)} ${column.type}${generatedClause(column)}`;
	if (column.default != null) sql += ` DEFAULT ${enclosed(column.default)}`;
	// An identity column is NOT NULL by itself; the primary key makes its columns NOT NULL too.
	if (columnNotNull(column) && !column.generated?.identity) sql += ' NOT NULL';
	if (column.unique) sql += ' UNIQUE';
	if (column.check) sql += ` ${columnCheckClause(column)}`;
	if (column.references) sql += ` ${columnReferencesClause(schemaName, column, at)}`;
	return sql;
}

/** The new table's columns and constraints as the working catalog holds them. */
function newTable(ctx: CompileContext, body: CreateTable, primaryKey: string[]): TableInfo {
	const table: TableInfo = {schema: ctx.catalog.schema, name: body.name, columns: [], primaryKey, indexes: [], constraints: [], created: true};
	table.columns = body.columns.map(column => columnInfo(column, table));
	const constraint = (name: string, type: 'p' | 'u' | 'c' | 'f' | 'x', columns: string[], references?: string) => table.constraints!.push({name, type, columns, definition: '', validated: true, ...(references ? {references} : {})});
	if (primaryKey.length > 0) constraint(body.constraints?.find(c => c.type === 'primary_key')?.name ?? `${body.name}_pkey`, 'p', primaryKey);
	for (const column of body.columns) {
		if (column.unique) constraint(`${body.name}_${column.name}_key`, 'u', [column.name]);
		if (column.check) constraint(column.check.name, 'c', [column.name]);
		if (column.references) constraint(column.references.name, 'f', [column.name], column.references.table);
	}

	const types = {unique: 'u', check: 'c', primary_key: 'p', foreign_key: 'f', exclude: 'x'} as const;
	for (const c of body.constraints ?? []) if (c.type !== 'primary_key') constraint(c.name, types[c.type], c.columns ?? [], c.references?.table);
	return table;
}

/** Columns a constraint names must be the table's own; a reference's, the referenced table's. */
function requireConstraintColumns(ctx: CompileContext, table: TableInfo, constraint: TableConstraint, at: string) {
	for (const [index, column] of [...(constraint.columns ?? []), ...(constraint.index_parameters?.include_columns ?? [])].entries()) requireColumn(table, column, `${at}.columns[${index}]`);
	const references = constraint.references;
	if (references) {
		const referenced = references.table === table.name ? table : requireTable(ctx, references.table, `${at}.references.table`);
		for (const [index, column] of references.columns.entries()) requireColumn(referenced, column, `${at}.references.columns[${index}]`);
		requireReferenceable(referenced, references.columns, `${at}.references.columns`);
	}
}

/**
 * create_table: the table is created at expand, physically in the base schema, where the old
 * application never looks for it; the new version's schema shows it as a view. Being new, it has
 * no rows and no readers: its constraints are created with it, and rollback drops it.
 */
function compileCreateTable(body: CreateTable, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].create_table`;
	checkIdentifier(body.name, `${at}.name`);
	requireNoRelation(ctx, body.name, `${at}.name`);
	const seen = new Set<string>();
	for (const [index, column] of body.columns.entries()) {
		checkColumnFields(column, `${at}.columns[${index}]`);
		if (seen.has(column.name)) throw badInput(`${at}.columns[${index}].name: column ${shown(column.name)} is defined twice`, 'give each column its own name');
		seen.add(column.name);
	}

	const pkColumns = body.columns.filter(column => column.pk).map(column => column.name);
	const tableKey = (body.constraints ?? []).filter(constraint => constraint.type === 'primary_key');
	if (pkColumns.length > 0 && tableKey.length > 0) throw badInput(`${at}.constraints: the primary key is set both on columns (pk) and as a constraint`, 'set it in one place only');
	if (tableKey.length > 1) throw badInput(`${at}.constraints: ${tableKey.length} primary keys`, 'a table has one primary key');
	const table = newTable(ctx, body, pkColumns.length > 0 ? pkColumns : (tableKey[0]?.columns ?? []));
	const target = qualified(table.schema, table.name);
	const clauses = body.columns.map((column, index) => {
		requireReferenced(ctx, column, `${at}.columns[${index}]`, table);
		return columnClause(table.schema, column, `${at}.columns[${index}]`);
	});
	if (pkColumns.length > 0) clauses.push(`PRIMARY KEY (${columnList(pkColumns)})`);
	for (const [index, constraint] of (body.constraints ?? []).entries()) {
		const where = `${at}.constraints[${index}]`;
		checkIdentifier(constraint.name, `${where}.name`);
		clauses.push(tableConstraintClause(table.schema, constraint, where));
		requireConstraintColumns(ctx, table, constraint, where);
	}

	const create = `CREATE TABLE ${target} (\n\t${clauses.join(',\n\t')}\n)`;
	requireOneStatement(create, 'CreateStmt', at, 'the columns\' generated.identity.sequence_options and the constraints\' index_parameters and exclude');
	const forward = [create, ...body.columns.flatMap(column => (column.comment == null ? [] : [commentOnColumn(table.schema, table.name, column.name, column.comment)]))];
	if (body.comment !== undefined) forward.push(`COMMENT ON TABLE ${target} IS ${literal(body.comment)}`);
	// Expressions are proved over a row-less stand-in with the new table's columns.
	const fragments: Fragment[] = body.columns.flatMap((column, index) => columnFragments(column, table, `${at}.columns[${index}]`));
	for (const [index, constraint] of (body.constraints ?? []).entries()) {
		if (constraint.type === 'check') fragments.push({what: `${at}.constraints[${index}].check`, table, expression: constraint.check!, castTo: 'boolean'});
	}

	ctx.catalog.createTable(table);
	return {
		steps: [
			{
				phase: 'EXPANDING',
				operation: ctx.operation,
				kind: 'ddl',
				table: table.name,
				description: `Create table "${table.name}" (${body.columns.length} ${body.columns.length === 1 ? 'column' : 'columns'}), seen by the new version only`,
				forward,
				rollback: [`DROP TABLE ${target}`],
				why: 'A new table has no rows and no readers: it is created whole, constraints and all, in an instant. The old application never looks for it; the new one sees it through its version schema.',
			},
		],
		fragments,
	};
}

export const createTable = defineOperation({
	kind: 'create_table',
	schema,
	compile: compileCreateTable,
	prepare: loadSqlParser,
	versions(body, book) {
		for (const column of body.columns) if (column.references && column.references.table !== body.name) book.referencesKey(column.references.table, [column.references.column]);
		for (const constraint of body.constraints ?? []) if (constraint.references && constraint.references.table !== body.name) book.referencesKey(constraint.references.table, constraint.references.columns);
		const key = body.columns.filter(column => column.pk).map(column => column.name);
		const tableKey = body.constraints?.find(constraint => constraint.type === 'primary_key')?.columns ?? [];
		book.createTable(body.name, body.columns.map(column => versionColumn(column)), key.length > 0 ? key : tableKey);
	},
});
