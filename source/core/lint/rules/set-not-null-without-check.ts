import {alterCommands, body, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

// WHY an error? SET NOT NULL scans every row under ACCESS EXCLUSIVE: no reads, no writes until it
// is done. With a validated CHECK (col IS NOT NULL) PostgreSQL (12+) trusts the check and skips it;
// before 12 it scans regardless.
export const setNotNullWithoutCheck = statementRule({
	id: 'set-not-null-without-check',
	severity: 'error',
	description: 'SET NOT NULL without a validated CHECK (col IS NOT NULL) scans the table under ACCESS EXCLUSIVE.',
	alternative: 'alter_column nullable: false — or add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later step, then SET NOT NULL',
	visit(visit) {
		const table = relationName(body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt')?.relation);
		if (!table || visit.state.isNew(table)) return undefined;
		return alterCommands(visit.statement.node).flatMap(cmd =>
			cmd.subtype === 'AT_SetNotNull' && cmd.name && !visit.state.isNotNull(table, cmd.name) && !visit.state.hasValidatedNotNullCheck(table, cmd.name)
				? [about(visit, `SET NOT NULL on "${cmd.name}" scans all of "${table}" under ACCESS EXCLUSIVE`, {plan: 'use alter_column nullable: false, or add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later step, then SET NOT NULL', file: 'ADD CHECK (col IS NOT NULL) NOT VALID; VALIDATE it in its own transaction; then SET NOT NULL (PostgreSQL 12+ skips the scan)'})]
				: [],
		);
	},
});
