import type {ColumnDef, Constraint} from 'libpg-query';
import {indexBuildingConstraint} from '../sql/columns.js';
import {alterCommands, body, columnConstraints, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = 'build the index first (create_index unique: true, CONCURRENTLY), then ADD CONSTRAINT … UNIQUE / PRIMARY KEY USING INDEX';

const names = {CONSTR_UNIQUE: 'UNIQUE', CONSTR_PRIMARY: 'PRIMARY KEY', CONSTR_EXCLUSION: 'EXCLUDE'} as Record<string, string>;

// WHY an error? Without USING INDEX the constraint builds its index right there, under ACCESS
// EXCLUSIVE: the table is unreadable and unwritable for the whole build.
export const uniqueWithoutUsingIndex = statementRule({
	id: 'unique-without-using-index',
	severity: 'error',
	description: 'ADD UNIQUE / PRIMARY KEY without USING INDEX builds the index under ACCESS EXCLUSIVE.',
	alternative: hint,
	visit(visit) {
		const table = relationName(body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt')?.relation);
		if (!table || visit.state.isNew(table)) return undefined;
		return alterCommands(visit.statement.node).flatMap(cmd => {
			const constraint = body<Constraint>(cmd.def, 'Constraint');
			const column = body<ColumnDef>(cmd.def, 'ColumnDef');
			const added = cmd.subtype === 'AT_AddConstraint' && constraint ? [constraint] : cmd.subtype === 'AT_AddColumn' && column ? columnConstraints(column) : [];
			return added.filter(indexBuildingConstraint).map(c => about(visit, `${names[c.contype ?? ''] ?? 'the constraint'} builds its index on "${table}" under ACCESS EXCLUSIVE`, hint));
		});
	},
});
