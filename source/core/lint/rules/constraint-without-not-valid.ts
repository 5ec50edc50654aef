import {scanningConstraint} from '../sql/columns.js';
import {addedConstraints} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = 'ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a later step (add_column check/references does this)';
const fileHint = 'ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a separate transaction';

// WHY an error? Adding a CHECK or FOREIGN KEY checks every existing row while holding the lock
// (ACCESS EXCLUSIVE for CHECK, SHARE ROW EXCLUSIVE for FOREIGN KEY: writes wait either way).
// NOT VALID skips that scan; VALIDATE later scans under a lock that lets writes go on.
export const constraintWithoutNotValid = statementRule({
	id: 'constraint-without-not-valid',
	severity: 'error',
	description: 'ADD CHECK or FOREIGN KEY without NOT VALID scans the table while blocking writes.',
	alternative: hint,
	visit(visit) {
		const added = addedConstraints(visit.statement.node, table => visit.state.isNew(table));
		if (!added) return undefined;
		const {table} = added;
		return added.constraints.filter(scanningConstraint).map(c => about(visit, `${c.contype === 'CONSTR_CHECK' ? 'CHECK' : 'FOREIGN KEY'} ${c.conname ?? ''} checks every row of "${table}" while writes wait`.replace('  ', ' '), {plan: hint, file: fileHint}));
	},
});
