import {alterCommands, body, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

// WHY an error? DETACH PARTITION takes ACCESS EXCLUSIVE on the parent: every query on the whole
// partitioned table waits. CONCURRENTLY (PostgreSQL 14+) takes only SHARE UPDATE EXCLUSIVE.
export const requireConcurrentDetach = statementRule({
	id: 'require-concurrent-detach',
	severity: 'error',
	description: 'DETACH PARTITION without CONCURRENTLY locks the whole partitioned table (ACCESS EXCLUSIVE).',
	alternative: 'DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+), outside a transaction',
	visit(visit) {
		const alter = body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt');
		const parent = relationName(alter?.relation);
		if (!alter || visit.state.isNew(parent)) return undefined;
		const detach = alterCommands(visit.statement.node).find(cmd => cmd.subtype === 'AT_DetachPartition' && body<{concurrent?: boolean}>(cmd.def, 'PartitionCmd')?.concurrent !== true);
		if (!detach) return undefined;
		const hint =
			visit.state.pgVersion >= 14
				? {plan: 'DETACH PARTITION … CONCURRENTLY, as a sql operation of its own (zdm runs it outside a transaction)', file: 'DETACH PARTITION … CONCURRENTLY, outside BEGIN … COMMIT'}
				: `CONCURRENTLY needs PostgreSQL 14 (--pg-version ${visit.state.pgVersion}): detach when the table is quiet, under a short lock_timeout`;
		return about(visit, `locks all of "${parent}" ACCESS EXCLUSIVE: every query on every partition waits`, hint);
	},
});
