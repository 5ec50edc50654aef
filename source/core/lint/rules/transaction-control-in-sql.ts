import type {TransactionStmt} from 'libpg-query';
import {body} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

// Savepoints nest inside the step's transaction and are harmless; these end or restart it.
const ending = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE', 'TRANS_STMT_COMMIT_PREPARED', 'TRANS_STMT_ROLLBACK_PREPARED']);

// WHY an error? zdm runs a sql operation and the mark that says it ran in one transaction, so a
// crash leaves both or neither. A COMMIT inside splits them: a resumed run would run it twice,
// and a ROLLBACK would silently undo the statements before it. A migration tool that wraps each
// file (--assume-in-transaction) is split the same way. In a .sql file psql runs, BEGIN … COMMIT
// is how statements are grouped; only a BEGIN that nothing ends is wrong.
export const transactionControlInSql = statementRule({
	id: 'transaction-control-in-sql',
	severity: 'error',
	description: 'BEGIN, COMMIT or ROLLBACK inside a transaction zdm (or the migration tool) opens; a BEGIN with no COMMIT in a .sql file.',
	alternative: 'drop them: zdm runs each sql operation in one transaction; split work into several sql operations',
	visit(visit) {
		const {unit, statement} = visit;
		if (unit.unterminated === statement) {
			return about(visit, 'BEGIN without COMMIT: the transaction never commits, and everything after BEGIN is rolled back when the session ends', 'add the missing COMMIT after the last statement of the transaction');
		}

		const transaction = body<TransactionStmt>(statement.node, 'TransactionStmt');
		if (!unit.wrapped || !transaction || !ending.has(transaction.kind ?? '')) return undefined;
		if (!unit.step) return about(visit, 'ends or restarts the transaction your migration tool runs the file in', 'drop it: the tool already runs the file in one transaction (or lint without --assume-in-transaction)');
		return about(visit, 'ends or restarts the transaction zdm runs the step in: the step is no longer atomic with its mark', 'drop it, and split the work into several sql operations');
	},
});
