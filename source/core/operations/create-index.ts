import {z} from 'zod';
import {badInput} from '../errors.js';
import {loadSqlParser} from '../lint/sql/parser.js';
import {checkIdentifier, ident, qualified} from '../sql.js';
import {physicalName, physicalTable} from '../catalog.js';
import {defineOperation} from './definition.js';
import {name} from './fields.js';
import {checkExpression, enclosed, requireColumn, requireNoRelation, requireTable, type CompileContext, type Compiled, type Fragment} from './operation.js';
import {requireOneStatement} from './statement-proof.js';

const settings = {
	collate: z.string().max(1000).optional(),
	sort: z.enum(['ASC', 'DESC', '']).optional(),
	nulls: z.enum(['FIRST', 'LAST']).optional(),
	opclass: z.strictObject({name: z.string().max(1000).optional(), params: z.array(z.string().min(1).max(1000)).max(32).optional()}).optional(),
};
const field = z.strictObject({column: name, ...settings});

/**
 * pgroll's `columns`, in each form its files use: a list of names (its first format), a list of
 * {column, collate, sort, nulls, opclass}, or a map from each name to those settings.
 */
const columns = z.union([
	z.array(z.union([name, field])).min(1).max(32),
	z.record(name, z.strictObject(settings).nullable()).refine(map => Object.keys(map).length > 0 && Object.keys(map).length <= 32, 'expected 1 to 32 columns'),
]);

const schema = z.strictObject({
	table: name,
	name,
	columns,
	method: z.enum(['btree', 'hash', 'gist', 'spgist', 'gin', 'brin']).optional(),
	predicate: z.string().max(100_000).optional(),
	storage_parameters: z.string().max(100_000).optional(),
	unique: z.boolean().optional(),
});
type CreateIndex = z.infer<typeof schema>;
type IndexField = z.infer<typeof field>;

/** The columns as one list of fields, in the order written. */
export function indexFields(given: CreateIndex['columns']): IndexField[] {
	if (Array.isArray(given)) return given.map(entry => (typeof entry === 'string' ? {column: entry} : entry));
	return Object.entries(given).map(([column, options]) => ({column, ...options}));
}

function elementSql(f: IndexField, physical: string): string {
	let sql = ident(physical);
	if (f.collate) sql += ` COLLATE ${ident(f.collate)}`;
	if (f.opclass?.name) sql += ` ${ident(f.opclass.name)}${f.opclass.params?.length ? ` (${f.opclass.params.join(', ')})` : ''}`;
	if (f.sort) sql += ` ${f.sort}`;
	if (f.nulls) sql += ` NULLS ${f.nulls}`;
	return sql;
}

/**
 * create_index: CONCURRENTLY, so writes go on during the build. It cannot run in a transaction,
 * so a failure can leave an INVALID index behind; the rollback drops it (IF EXISTS).
 */
function compileCreateIndex(body: CreateIndex, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].create_index`;
	const table = requireTable(ctx, body.table, at);
	checkIdentifier(body.name, `${at}.name`);
	requireNoRelation(ctx, body.name, `${at}.name`);
	const method = body.method ?? 'btree';
	const fields = indexFields(body.columns);
	// WHY refuse now? PostgreSQL refuses these only when the build starts.
	if (body.unique && method !== 'btree') throw badInput(`${at}.unique: PostgreSQL 15 builds unique indexes with btree only, not ${method}`, 'leave method out (btree), or unique');
	const ordered = fields.findIndex(f => f.sort || f.nulls);
	if (ordered >= 0 && method !== 'btree') throw badInput(`${at}.columns[${ordered}]: a ${method} index has no order, so no sort or nulls`, 'leave sort and nulls out, or use btree');
	// Built on the physical columns: a column renamed earlier in this plan keeps its old name until contract.
	const elements = fields.map((f, index) => elementSql(f, physicalName(requireColumn(table, f.column, `${at}.columns[${index}]`))));
	const fragments: Fragment[] = [];
	let where = '';
	if (body.predicate) {
		const predicate = checkExpression(body.predicate, `${at}.predicate`);
		fragments.push({what: `${at}.predicate`, table: physicalTable(table), expression: predicate, castTo: 'boolean'});
		where = ` WHERE ${enclosed(predicate)}`;
	}

	const storage = body.storage_parameters ? ` WITH (${body.storage_parameters})` : '';
	const create = `CREATE ${body.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${ident(body.name)} ON ${qualified(table.schema, table.name)}${body.method ? ` USING ${method}` : ''} (${elements.join(', ')})${storage}${where}`;
	if (storage || fields.some(f => f.opclass?.params?.length)) requireOneStatement(create, 'IndexStmt', at, 'storage_parameters and the columns\' opclass params');
	(table.indexes ??= []).push({name: body.name, definition: create, columns: fields.map(f => f.column), unique: body.unique === true});
	return {
		steps: [
			{
				phase: 'EXPANDING',
				operation: ctx.operation,
				kind: 'concurrent',
				table: table.name,
				description: `Create ${body.unique ? 'unique ' : ''}${body.method ? `${method} ` : ''}index "${body.name}" on ${table.name} (${fields.map(f => f.column).join(', ')})${body.predicate ? ' (partial)' : ''} concurrently`,
				forward: [create],
				rollback: [`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(table.schema, body.name)}`],
				why: 'CONCURRENTLY builds the index while writes go on; a plain CREATE INDEX would block them for the whole build.',
			},
		],
		fragments,
	};
}

export const createIndex = defineOperation({
	kind: 'create_index',
	schema,
	compile: compileCreateIndex,
	prepare: loadSqlParser,
	versions: (body, book) => book.reads(body.table, ...indexFields(body.columns).map(f => f.column)),
});
