import type {DropStmt, IndexStmt, ReindexStmt} from 'libpg-query';
import {body} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

// WHY an error? PostgreSQL refuses it ("cannot run inside a transaction block"), and a `sql`
// operation always runs in one transaction: the step would fail and roll the migration back.
export const concurrentlyInTransaction = statementRule({
	id: 'concurrently-in-transaction',
	severity: 'error',
	description: 'CREATE / DROP INDEX CONCURRENTLY or REINDEX CONCURRENTLY inside a transaction, where PostgreSQL refuses it.',
	alternative: 'use a create_index operation (zdm runs it outside any transaction)',
	visit(visit) {
		if (!visit.unit.inTransaction) return undefined;
		const {node} = visit.statement;
		const concurrent =
			body<IndexStmt>(node, 'IndexStmt')?.concurrent === true ||
			body<DropStmt>(node, 'DropStmt')?.concurrent === true ||
			JSON.stringify(body<ReindexStmt>(node, 'ReindexStmt')?.params ?? []).includes('"concurrently"');
		return concurrent ? about(visit, 'CONCURRENTLY cannot run inside a transaction, and a sql operation runs in one', 'use a create_index operation: zdm runs it outside any transaction') : undefined;
	},
});
