import {z} from 'zod';
import type {IndexInfo, TableInfo} from '../catalog.js';
import {badInput} from '../errors.js';
import {checkIdentifier, literal, qualified, shown} from '../sql.js';
import {defineOperation} from './definition.js';
import {name} from './fields.js';
import type {CompileContext, Compiled} from './operation.js';

const schema = z.strictObject({name});

/** CREATE INDEX … as pg_get_indexdef() wrote it, built CONCURRENTLY. */
const concurrently = (definition: string) => definition.replace(/^CREATE (UNIQUE )?INDEX /, (_whole, unique: string | undefined) => `CREATE ${unique ?? ''}INDEX CONCURRENTLY `);

function findIndex(ctx: CompileContext, name: string): {table: TableInfo; index: IndexInfo} | undefined {
	for (const table of ctx.catalog.tables().map(known => ctx.catalog.table(known)!)) {
		const index = table.indexes?.find(candidate => candidate.name === name);
		if (index) return {table, index};
	}

	return undefined;
}

/**
 * drop_index: at contract, CONCURRENTLY, outside a transaction, so no query waits on it. Until
 * then both versions keep using it. Rollback builds it again, concurrently, as PostgreSQL
 * itself describes it (pg_get_indexdef), with its comment.
 */
function compileDropIndex(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].drop_index`;
	checkIdentifier(body.name, `${at}.name`);
	const found = findIndex(ctx, body.name);
	if (!found) throw badInput(`${at}: index ${shown(body.name)} does not exist in schema ${shown(ctx.catalog.schema)}`, 'check the index name');
	const {table, index} = found;
	if (index.constraint) throw badInput(`${at}: index ${shown(index.name)} backs constraint ${shown(index.constraint)}`, 'drop the constraint instead (drop_multicolumn_constraint), which drops its index');
	if (index.replicaIdentity) throw badInput(`${at}: index ${shown(index.name)} is the replica identity of ${shown(table.name)}`, 'set another replica identity first (set_replica_identity)');
	const target = qualified(table.schema, index.name);
	table.indexes = table.indexes!.filter(known => known !== index);
	return {
		steps: [
			{
				phase: 'CONTRACTING',
				operation: ctx.operation,
				kind: 'concurrent',
				table: table.name,
				description: `Drop index "${index.name}" concurrently`,
				forward: [`DROP INDEX CONCURRENTLY ${target}`],
				// A drop that failed half-way leaves the index invalid: it goes first, then the index is built again.
				rollback: [`DROP INDEX CONCURRENTLY IF EXISTS ${target}`, concurrently(index.definition), ...(index.comment === undefined ? [] : [`COMMENT ON INDEX ${target} IS ${literal(index.comment)}`])],
				why: 'DROP INDEX CONCURRENTLY waits for queries using the index instead of locking the table; it runs once no application version needs the index.',
			},
		],
		fragments: [],
	};
}

export const dropIndex = defineOperation({
	kind: 'drop_index',
	schema,
	compile: compileDropIndex,
	versions: (body, book) => book.needsIndex(body.name),
});

