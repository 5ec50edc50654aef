import type {ColumnDef} from 'libpg-query';
import {columnDefault, volatileCall} from '../sql/columns.js';
import {alterCommands, body, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

/**
 * ADD COLUMN … DEFAULT random() must give each existing row its own value: a full rewrite under
 * ACCESS EXCLUSIVE. A stable default (now(), a constant) is stored once in the catalog instead.
 * An add_column operation is never caught here: zdm adds the column without its default and
 * backfills in batches, so any default is safe there.
 */
export const addColumnVolatileDefault = statementRule({
	id: 'add-column-volatile-default',
	severity: 'error',
	description: 'ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval()…) rewrites the table.',
	alternative: 'use an add_column operation with that default: zdm adds the column, then backfills in batches',
	visit(visit) {
		const table = relationName(body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt')?.relation);
		if (!table || visit.state.isNew(table)) return undefined;
		return alterCommands(visit.statement.node).flatMap(cmd => {
			const column = body<ColumnDef>(cmd.def, 'ColumnDef');
			const volatile = cmd.subtype === 'AT_AddColumn' && column ? volatileCall(columnDefault(column)?.raw_expr) : undefined;
			return volatile
				? [about(visit, `DEFAULT ${volatile}() is volatile: every row of "${table}" is rewritten under ACCESS EXCLUSIVE`, 'use an add_column operation with that default (zdm adds the column, then backfills in batches)')]
				: [];
		});
	},
});
