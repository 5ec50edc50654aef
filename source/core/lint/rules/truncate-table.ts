import type {RangeVar, TruncateStmt} from 'libpg-query';
import {body, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

// WHY an error? TRUNCATE takes ACCESS EXCLUSIVE (queueing behind every query and blocking all
// of them) and empties the table at once; CASCADE empties every table that references it too.
export const truncateTable = statementRule({
	id: 'truncate-table',
	severity: 'error',
	description: 'TRUNCATE of an existing table: ACCESS EXCLUSIVE and every row gone (CASCADE: every referencing table too).',
	alternative: 'DELETE in batches by primary key; or drop the table once no application uses it',
	visit(visit) {
		const truncate = body<TruncateStmt>(visit.statement.node, 'TruncateStmt');
		if (!truncate) return undefined;
		const tables = (truncate.relations ?? []).map(node => relationName(body<RangeVar>(node, 'RangeVar'))).filter(table => !visit.state.isNew(table));
		if (tables.length === 0) return undefined;
		const cascade = truncate.behavior === 'DROP_CASCADE' ? ', and CASCADE empties every table that references it' : '';
		return about(visit, `empties ${tables.map(table => `"${table}"`).join(', ')} under ACCESS EXCLUSIVE${cascade}`, 'DELETE in batches by primary key; or drop the table once no application uses it');
	},
});
