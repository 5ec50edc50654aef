import type {ColumnDef} from 'libpg-query';
import type {Rule, RuleFinding} from '../rule.js';
import {walkStatements} from '../sql/analysis.js';
import {columnDefault, generatedColumn, isNotNull} from '../sql/columns.js';
import {alterCommands, body, relationName} from '../sql/nodes.js';
import {about} from '../sql/statement-rule.js';

/**
 * add_column: zdm fills existing rows from `up`, so the column itself works; but once contract
 * makes it NOT NULL, any writer that leaves it out fails — a warning. In raw SQL, ADD COLUMN …
 * NOT NULL without a default fails outright on a table that has rows — an error.
 */
export const notNullWithoutDefault: Rule = {
	id: 'not-null-without-default',
	severity: 'warning',
	description: 'A NOT NULL column without a default on an existing table.',
	alternative: 'give it a default (add_column fills existing rows from "up" either way)',
	check(ctx) {
		const found: RuleFinding[] = ctx.file.operations.flatMap((op, operation) =>
			op.kind === 'add_column' && op.body.column.nullable !== true && (op.body.column.default ?? undefined) === undefined
				? [{operation, message: `"${op.body.column.name}" is NOT NULL without a default: after contract, any insert that leaves it out fails`, hint: 'give it a default, or make sure every writer sets it before contract'}]
				: [],
		);
		walkStatements(ctx, visit => {
			const table = relationName(body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt')?.relation);
			if (!table || visit.state.isNew(table)) return;
			for (const cmd of alterCommands(visit.statement.node)) {
				const column = body<ColumnDef>(cmd.def, 'ColumnDef');
				if (cmd.subtype !== 'AT_AddColumn' || !column || !isNotNull(column) || columnDefault(column)) continue;
				// Serial, identity and generated columns bring their own values (and their own rule).
				if (generatedColumn(column)) continue;
				found.push(about(visit, `ADD COLUMN ${column.colname ?? ''} NOT NULL without a default fails on "${table}" as soon as it has a row`, {plan: 'use an add_column operation with "up" (zdm backfills, then sets NOT NULL safely), or add a constant DEFAULT', file: 'add a constant DEFAULT, or add it nullable, backfill in batches, then add NOT NULL through a validated CHECK'}, 'error'));
			}
		});
		return found;
	},
};
