import {alterCommands, body, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = 'DISABLE TRIGGER USER, or name the trigger: foreign keys stay enforced';

// WHY an error? ALL includes the internal triggers that enforce foreign keys: while they are off,
// rows that break the constraints go in unnoticed, and nothing checks them when they come back on.
export const disableTriggerAll = statementRule({
	id: 'disable-trigger-all',
	severity: 'error',
	description: 'DISABLE TRIGGER ALL also turns off foreign-key enforcement on the table.',
	alternative: hint,
	visit(visit) {
		if (!alterCommands(visit.statement.node).some(cmd => cmd.subtype === 'AT_DisableTrigAll')) return undefined;
		const table = relationName(body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt')?.relation);
		return about(visit, `turns off the foreign-key triggers of "${table}" too: rows that break its constraints go in unchecked`, hint);
	},
});
