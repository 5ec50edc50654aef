import type {ColumnDef} from 'libpg-query';
import {alterCommands, body, relationName, typeKey} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';
import {typeChangeNarrows} from '../sql/types.js';

const hint = 'check every value fits first (SELECT … WHERE the value does not fit), or keep the wider type and add a CHECK … NOT VALID for new rows';

// WHY an error? A value that does not fit fails the whole ALTER (after it has held ACCESS
// EXCLUSIVE for the rewrite) or, worse, is silently rounded or cut. Judged only when the old type
// is known: from the database's catalog, or from the SQL that created the column.
export const narrowingTypeChange = statementRule({
	id: 'narrowing-type-change',
	severity: 'error',
	description: 'ALTER COLUMN … TYPE to a narrower type (shorter limit, smaller integer, fewer digits, text to a parsed type): values can fail or be cut.',
	alternative: hint,
	visit(visit) {
		const table = relationName(body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt')?.relation);
		if (!table || visit.state.isNew(table)) return undefined;
		return alterCommands(visit.statement.node).flatMap(cmd => {
			const column = body<ColumnDef>(cmd.def, 'ColumnDef');
			if (cmd.subtype !== 'AT_AlterColumnType' || !column || !cmd.name) return [];
			const from = visit.state.columnType(table, cmd.name);
			const to = typeKey(column.typeName);
			const narrows = from && to ? typeChangeNarrows(from, to) : undefined;
			return narrows ? [about(visit, `"${cmd.name}" of "${table}" ${narrows}`, hint)] : [];
		});
	},
});
