import type {TransactionStmt} from 'libpg-query';
import {body} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

// Savepoints nest inside the step's transaction and are harmless; these end or restart it.
const ending = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE', 'TRANS_STMT_COMMIT_PREPARED', 'TRANS_STMT_ROLLBACK_PREPARED']);

// WHY an error? zdm runs a sql operation and the mark that says it ran in one transaction, so a
// crash leaves both or neither. A COMMIT inside splits them: a resumed run would run it twice,
// and a ROLLBACK would silently undo the statements before it.
export const transactionControlInSql = statementRule({
	id: 'transaction-control-in-sql',
	severity: 'error',
	description: 'BEGIN, COMMIT or ROLLBACK inside a sql operation breaks the step\'s single transaction.',
	alternative: 'drop them: zdm runs each sql operation in one transaction; split work into several sql operations',
	visit(visit) {
		const transaction = body<TransactionStmt>(visit.statement.node, 'TransactionStmt');
		if (!visit.unit.inTransaction || !transaction || !ending.has(transaction.kind ?? '')) return undefined;
		return about(visit, 'ends or restarts the transaction zdm runs the step in: the step is no longer atomic with its mark', 'drop it, and split the work into several sql operations');
	},
});
