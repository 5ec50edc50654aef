import {alterCommands, body, kindOf, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = 'an index: build a new one CONCURRENTLY in the new tablespace, then drop the old one CONCURRENTLY; a table: pg_repack --tablespace';

// WHY an error? Moving a table or index copies every block to the new tablespace while holding
// ACCESS EXCLUSIVE on it: the table is unusable for the whole copy.
export const setTablespace = statementRule({
	id: 'set-tablespace',
	severity: 'error',
	description: 'SET TABLESPACE copies the table or index under ACCESS EXCLUSIVE.',
	alternative: hint,
	visit(visit) {
		const {node} = visit.statement;
		if (kindOf(node) === 'AlterTableMoveAllStmt') return about(visit, 'moves every table of a tablespace, each copied under ACCESS EXCLUSIVE', hint);
		const alter = body<{relation?: {relname?: string}; objtype?: string}>(node, 'AlterTableStmt');
		if (!alter || !alterCommands(node).some(cmd => cmd.subtype === 'AT_SetTableSpace')) return undefined;
		const name = relationName(alter.relation);
		if (visit.state.isNew(name)) return undefined;
		const what = alter.objtype === 'OBJECT_INDEX' ? `index "${name}" (its table is locked too)` : `"${name}"`;
		return about(visit, `copies ${what} to the new tablespace under ACCESS EXCLUSIVE`, hint);
	},
});
