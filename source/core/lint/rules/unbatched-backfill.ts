import type {DeleteStmt, UpdateStmt} from 'libpg-query';
import {body, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = 'let zdm backfill it: add_column or alter_column with "up" updates in short batches by primary key';

// WHY a warning? One UPDATE or DELETE of a whole table locks every row it touches until commit
// (writers to those rows wait), and bloats the table; zdm's backfill does it in short batches.
export const unbatchedBackfill = statementRule({
	id: 'unbatched-backfill',
	severity: 'warning',
	description: 'UPDATE or DELETE of a whole existing table in one transaction.',
	alternative: hint,
	visit(visit) {
		const {node} = visit.statement;
		const change = body<UpdateStmt>(node, 'UpdateStmt') ?? body<DeleteStmt>(node, 'DeleteStmt');
		if (!change || change.whereClause) return undefined;
		const table = relationName(change.relation);
		if (visit.state.isNew(table)) return undefined;
		return about(visit, `${'UpdateStmt' in node ? 'updates' : 'deletes'} every row of "${table}" in one transaction`, {plan: hint, file: 'update in batches of a few thousand rows by primary key, each batch its own transaction'});
	},
});
