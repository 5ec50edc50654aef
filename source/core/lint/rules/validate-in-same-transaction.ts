import {alterCommands} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

// WHY an error? NOT VALID is only worth it if the lock it took is released before the scan: in the
// same transaction, VALIDATE scans while ADD CONSTRAINT's lock is still held.
export const validateInSameTransaction = statementRule({
	id: 'validate-in-same-transaction',
	severity: 'error',
	description: 'VALIDATE CONSTRAINT in the same transaction as its ADD … NOT VALID keeps the strong lock during the scan.',
	alternative: 'VALIDATE in a later step (its own sql operation), or let add_column check/references do it',
	visit(visit) {
		if (!visit.unit.inTransaction) return undefined;
		return alterCommands(visit.statement.node).flatMap(cmd =>
			cmd.subtype === 'AT_ValidateConstraint' && cmd.name && visit.state.notValidHere.has(cmd.name)
				? [about(visit, `validates ${cmd.name} in the transaction that added it: the scan runs under the ADD's lock`, {plan: 'VALIDATE in a later step (its own sql operation)', file: 'COMMIT after ADD … NOT VALID; VALIDATE in a transaction of its own'})]
				: [],
		);
	},
});
