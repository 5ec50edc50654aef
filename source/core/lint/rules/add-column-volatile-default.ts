import type {ColumnDef} from 'libpg-query';
import {columnDefault, volatileCall} from '../sql/columns.js';
import {alterCommands, body, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = {
	plan: 'use an add_column operation with that default (zdm adds the column, then backfills in batches)',
	file: 'add the column without a default, backfill it in batches, then SET DEFAULT for new rows',
};

/**
 * ADD COLUMN … DEFAULT random() must give each existing row its own value: a full rewrite under
 * ACCESS EXCLUSIVE. A stable default (now(), a constant) is stored once in the catalog instead,
 * from PostgreSQL 11 on; before 11 every default rewrites. A user function is volatile unless the
 * database's catalog says otherwise (CREATE FUNCTION's own default). An add_column operation is
 * never caught here: zdm adds the column without its default and backfills in batches.
 */
export const addColumnVolatileDefault = statementRule({
	id: 'add-column-volatile-default',
	severity: 'error',
	description: 'ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval(), a user function…) rewrites the table.',
	alternative: hint.plan,
	visit(visit) {
		const table = relationName(body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt')?.relation);
		if (!table || visit.state.isNew(table)) return undefined;
		const {volatility, pgVersion} = visit.state;
		return alterCommands(visit.statement.node).flatMap(cmd => {
			const column = body<ColumnDef>(cmd.def, 'ColumnDef');
			const expression = cmd.subtype === 'AT_AddColumn' && column ? columnDefault(column)?.raw_expr : undefined;
			if (!expression) return [];
			const volatile = volatileCall(expression, volatility);
			if (volatile) {
				const what = volatile.user ? `${volatile.name}() is not known to be STABLE or IMMUTABLE, so it counts as volatile` : `DEFAULT ${volatile.name}() is volatile`;
				return [about(visit, `${what}: every row of "${table}" is rewritten under ACCESS EXCLUSIVE`, volatile.user ? {plan: `${hint.plan}; or declare ${volatile.name}() STABLE if it is, and lint with --database-url`, file: `${hint.file}; or declare ${volatile.name}() STABLE if it is, and lint with --database-url`} : hint)];
			}

			const isNull = body<{isnull?: boolean}>(expression, 'A_Const')?.isnull === true;
			if (pgVersion < 11 && !isNull) return [about(visit, `before PostgreSQL 11 (--pg-version ${pgVersion}) any DEFAULT rewrites every row of "${table}" under ACCESS EXCLUSIVE`, hint)];
			return [];
		});
	},
});
