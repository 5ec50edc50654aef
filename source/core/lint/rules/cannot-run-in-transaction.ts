import type {AlterTableCmd, Node, ReindexStmt} from 'libpg-query';
import {alterCommands, body, kindOf} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';
import {outsideTransactionHint} from '../sql/transaction-hints.js';

/** What a statement is that PostgreSQL refuses inside a transaction block (CONCURRENTLY has its own rule). */
function transactionless(node: Node, pgVersion: number): string | undefined {
	const kind = kindOf(node);
	if (kind === 'VacuumStmt') return body<{is_vacuumcmd?: boolean}>(node, kind)?.is_vacuumcmd ? 'VACUUM' : undefined;
	if (kind === 'CreatedbStmt' || kind === 'DropdbStmt') return kind === 'CreatedbStmt' ? 'CREATE DATABASE' : 'DROP DATABASE';
	if (kind === 'CreateTableSpaceStmt' || kind === 'DropTableSpaceStmt') return 'a tablespace change';
	if (kind === 'AlterSystemStmt') return 'ALTER SYSTEM';
	if (kind === 'ReindexStmt') {
		const target = body<ReindexStmt>(node, kind)?.kind;
		return target === 'REINDEX_OBJECT_SYSTEM' || target === 'REINDEX_OBJECT_DATABASE' ? 'REINDEX SYSTEM / DATABASE' : undefined;
	}

	// Before 12, a new enum value could not be added in a transaction block.
	if (kind === 'AlterEnumStmt' && pgVersion < 12 && body<{newVal?: string}>(node, kind)?.newVal) return `ALTER TYPE … ADD VALUE (before PostgreSQL 12)`;
	const detach = alterCommands(node).find((cmd: AlterTableCmd) => cmd.subtype === 'AT_DetachPartition' && body<{concurrent?: boolean}>(cmd.def, 'PartitionCmd')?.concurrent === true);
	return detach ? 'DETACH PARTITION … CONCURRENTLY' : undefined;
}

// WHY an error? PostgreSQL refuses these "inside a transaction block": the migration fails there.
export const cannotRunInTransaction = statementRule({
	id: 'cannot-run-in-transaction',
	severity: 'error',
	description: 'VACUUM, CREATE / DROP DATABASE, ALTER SYSTEM, DETACH … CONCURRENTLY and the like inside a transaction, where PostgreSQL refuses them.',
	alternative: 'run it outside any transaction: in a .sql file outside BEGIN … COMMIT, or outside the migration',
	visit(visit) {
		if (!visit.unit.inTransaction) return undefined;
		const what = transactionless(visit.statement.node, visit.state.pgVersion);
		if (!what) return undefined;
		const {where} = outsideTransactionHint(visit.unit);
		const hint = visit.unit.step ? 'run it outside the migration: zdm runs only a lone CONCURRENTLY statement outside a transaction' : outsideTransactionHint(visit.unit).hint;
		return about(visit, `${what} cannot run inside a transaction, and ${where}`, hint);
	},
});
