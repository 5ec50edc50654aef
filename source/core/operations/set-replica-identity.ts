import {z} from 'zod';
import type {TableInfo} from '../catalog.js';
import {badInput} from '../errors.js';
import {ident, qualified, shown} from '../sql.js';
import {defineOperation} from './definition.js';
import {name} from './fields.js';
import {requireTable, type CompileContext, type Compiled} from './operation.js';

const schema = z.strictObject({
	table: name,
	identity: z.strictObject({type: z.string().min(1).max(20), index: z.string().max(1000).optional()}),
});

const clause = (type: string, index?: string) => (type === 'INDEX' ? `USING INDEX ${ident(index!)}` : type);

/** The table's replica identity now, as the clause that sets it back. */
function currentIdentity(table: TableInfo): string {
	switch (table.replicaIdentity ?? 'd') {
		case 'n': {
			return 'NOTHING';
		}

		case 'f': {
			return 'FULL';
		}

		case 'i': {
			const index = table.indexes?.find(known => known.replicaIdentity);
			return index ? clause('INDEX', index.name) : 'NOTHING';
		}

		default: {
			return 'DEFAULT';
		}
	}
}

/**
 * set_replica_identity: at expand, on the table itself, so both versions share it (as in pgroll);
 * a catalog change in an instant. Unlike pgroll, rollback sets the identity the table had.
 */
function compileSetReplicaIdentity(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].set_replica_identity`;
	const table = requireTable(ctx, body.table, at);
	const type = body.identity.type.toUpperCase();
	if (!['DEFAULT', 'FULL', 'NOTHING', 'INDEX'].includes(type)) throw badInput(`${at}.identity.type: ${shown(body.identity.type)} is no replica identity`, 'use default, full, nothing or index');
	if (type === 'INDEX') {
		const index = table.indexes?.find(known => known.name === body.identity.index);
		if (!body.identity.index || !index) throw badInput(`${at}.identity.index: ${shown(table.name)} has no index ${shown(body.identity.index ?? '')}`, `name one of its unique indexes: ${(table.indexes ?? []).filter(known => known.unique).map(known => shown(known.name)).join(', ') || 'it has none'}`);
		if (!index.unique) throw badInput(`${at}.identity.index: ${shown(index.name)} is not unique`, 'a replica identity index must be unique, not partial, on NOT NULL columns');
	} else if (body.identity.index) {
		throw badInput(`${at}.identity.index: only type index names an index`, 'leave index out');
	}

	const target = qualified(table.schema, table.name);
	const before = currentIdentity(table);
	for (const index of table.indexes ?? []) index.replicaIdentity = type === 'INDEX' && index.name === body.identity.index;
	table.replicaIdentity = ({DEFAULT: 'd', FULL: 'f', NOTHING: 'n', INDEX: 'i'} as const)[type as 'DEFAULT'];
	return {
		steps: [
			{
				phase: 'EXPANDING',
				operation: ctx.operation,
				kind: 'ddl',
				table: table.name,
				description: `Set the replica identity of "${table.name}" to ${type.toLowerCase()}${type === 'INDEX' ? ` "${body.identity.index}"` : ''}`,
				forward: [`ALTER TABLE ${target} REPLICA IDENTITY ${clause(type, body.identity.index)}`],
				rollback: [`ALTER TABLE ${target} REPLICA IDENTITY ${before}`],
				why: 'What logical replication logs of a changed row: a catalog change, an instant under the lock.',
			},
		],
		fragments: [],
	};
}

export const setReplicaIdentity = defineOperation({
	kind: 'set_replica_identity',
	schema,
	compile: compileSetReplicaIdentity,
	versions(body, book) {
		book.reads(body.table);
		if (body.identity.type.toUpperCase() === 'INDEX' && body.identity.index) book.needsIndex(body.identity.index, body.table, true);
	},
});
