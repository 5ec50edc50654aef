import {z} from 'zod';
import {checkIdentifier, ident, qualified} from '../sql.js';
import {physicalName} from '../catalog.js';
import {defineOperation} from './definition.js';
import {name} from './fields.js';
import {requireColumn, requireTable, type CompileContext, type Compiled} from './operation.js';

const schema = z.strictObject({
	table: name,
	name,
	columns: z.array(name).min(1).max(32),
	unique: z.boolean().optional(),
});

/**
 * create_index: CONCURRENTLY, so writes go on during the build. It cannot run in a transaction,
 * so a failure can leave an INVALID index behind; the rollback drops it (IF EXISTS).
 */
function compileCreateIndex(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].create_index`;
	const table = requireTable(ctx, body.table, at);
	checkIdentifier(body.name, `${at}.name`);
	// Built on the physical columns: a column renamed earlier in this plan keeps its old name until contract.
	const columns = body.columns.map((name, index) => physicalName(requireColumn(table, name, `${at}.columns[${index}]`)));
	return {
		steps: [
			{
				phase: 'EXPANDING',
				operation: ctx.operation,
				kind: 'concurrent',
				table: table.name,
				description: `Create ${body.unique ? 'unique ' : ''}index "${body.name}" on ${table.name} (${body.columns.join(', ')}) concurrently`,
				forward: [`CREATE ${body.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${ident(body.name)} ON ${qualified(table.schema, table.name)} (${columns.map(c => ident(c)).join(', ')})`],
				rollback: [`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(table.schema, body.name)}`],
				why: 'CONCURRENTLY builds the index while writes go on; a plain CREATE INDEX would block them for the whole build.',
			},
		],
		fragments: [],
	};
}

export const createIndex = defineOperation({
	kind: 'create_index',
	schema,
	compile: compileCreateIndex,
	versions: (body, book) => book.reads(body.table, ...body.columns),
});
