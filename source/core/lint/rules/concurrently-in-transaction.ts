import type {DropStmt, IndexStmt, ReindexStmt} from 'libpg-query';
import {body} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';
import {outsideTransactionHint} from '../sql/transaction-hints.js';

// WHY an error? PostgreSQL refuses it ("cannot run inside a transaction block"): the step or the
// migration fails there. A sql operation that is one CONCURRENTLY statement is run by zdm outside
// any transaction, so only one that mixes it with other statements is caught.
export const concurrentlyInTransaction = statementRule({
	id: 'concurrently-in-transaction',
	severity: 'error',
	description: 'CREATE / DROP INDEX CONCURRENTLY or REINDEX CONCURRENTLY inside a transaction, where PostgreSQL refuses it.',
	alternative: 'give the statement a sql operation of its own (zdm runs it outside any transaction), or use create_index',
	visit(visit) {
		if (!visit.unit.inTransaction) return undefined;
		const {node} = visit.statement;
		const concurrent =
			body<IndexStmt>(node, 'IndexStmt')?.concurrent === true ||
			body<DropStmt>(node, 'DropStmt')?.concurrent === true ||
			JSON.stringify(body<ReindexStmt>(node, 'ReindexStmt')?.params ?? []).includes('"concurrently"');
		if (!concurrent) return undefined;
		const {where, hint} = outsideTransactionHint(visit.unit);
		return about(visit, `CONCURRENTLY cannot run inside a transaction, and ${where}`, hint);
	},
});
