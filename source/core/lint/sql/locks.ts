import type {Constraint, Node, RenameStmt} from 'libpg-query';
import {alterCommands, body, kindOf, names, relationName} from './nodes.js';

// ALTER TABLE forms that take a weaker lock than ACCESS EXCLUSIVE.
const weakerAlters = new Set([
	'AT_ValidateConstraint',
	'AT_SetStatistics',
	'AT_SetOptions',
	'AT_ResetOptions',
	'AT_SetRelOptions',
	'AT_ResetRelOptions',
	'AT_ClusterOn',
	'AT_DropCluster',
	'AT_EnableTrig',
	'AT_EnableAlwaysTrig',
	'AT_EnableReplicaTrig',
	'AT_DisableTrig',
	'AT_EnableTrigAll',
	'AT_DisableTrigAll',
	'AT_EnableTrigUser',
	'AT_DisableTrigUser',
	'AT_AttachPartition',
]);

/** The table a statement locks in ACCESS EXCLUSIVE mode (every reader and writer waits), if any. */
export function accessExclusiveTable(node: Node): string | undefined {
	const kind = kindOf(node);
	switch (kind) {
		case 'AlterTableStmt': {
			const alter = body<{relation?: {relname?: string}; objtype?: string}>(node, kind)!;
			if (alter.objtype !== 'OBJECT_TABLE') return undefined;
			const strong = alterCommands(node).some(cmd => {
				if (cmd.subtype === 'AT_AddConstraint') return body<Constraint>(cmd.def, 'Constraint')?.contype !== 'CONSTR_FOREIGN';
				return !weakerAlters.has(cmd.subtype ?? '');
			});
			return strong ? relationName(alter.relation) : undefined;
		}

		case 'RenameStmt': {
			const rename = body<RenameStmt>(node, kind)!;
			return rename.renameType === 'OBJECT_TABLE' || rename.renameType === 'OBJECT_COLUMN' || rename.renameType === 'OBJECT_TABCONSTRAINT' ? relationName(rename.relation) : undefined;
		}

		case 'DropStmt': {
			const drop = body<{removeType?: string; objects?: Node[]; concurrent?: boolean}>(node, kind)!;
			const first = names(body<{items?: Node[]}>(drop.objects?.[0], 'List')?.items);
			if (drop.removeType === 'OBJECT_TABLE') return first.at(-1);
			// DROP TRIGGER t ON table: the object is [schema?, table, trigger].
			if (drop.removeType === 'OBJECT_TRIGGER') return first.at(-2);
			// The index's table is not in the SQL; the index name stands for it.
			if (drop.removeType === 'OBJECT_INDEX' && !drop.concurrent) return first.at(-1);
			return undefined;
		}

		case 'LockStmt': {
			const lock = body<{relations?: Node[]; mode?: number}>(node, kind)!;
			// Lock mode 8 is AccessExclusiveLock, the default of LOCK TABLE.
			return (lock.mode ?? 8) === 8 ? relationName(body(lock.relations?.[0], 'RangeVar')) : undefined;
		}

		case 'TruncateStmt': {
			return relationName(body(body<{relations?: Node[]}>(node, kind)?.relations?.[0], 'RangeVar'));
		}

		case 'ClusterStmt': {
			return relationName(body<{relation?: {relname?: string}}>(node, kind)?.relation) || 'the clustered table';
		}

		case 'RefreshMatViewStmt': {
			const refresh = body<{concurrent?: boolean; relation?: {relname?: string}}>(node, kind)!;
			return refresh.concurrent ? undefined : relationName(refresh.relation);
		}

		default: {
			return undefined;
		}
	}
}

