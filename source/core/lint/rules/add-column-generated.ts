import type {ColumnDef} from 'libpg-query';
import type {Rule, RuleFinding} from '../rule.js';
import {walkStatements} from '../sql/analysis.js';
import {generatedColumn, serialTypes} from '../sql/columns.js';
import {alterCommands, body, relationName} from '../sql/nodes.js';
import {about} from '../sql/statement-rule.js';

const hint = 'add a plain bigint column (add_column with "up" from a sequence\'s nextval()), backfilled in batches, then set the default';

// WHY an error? serial, identity and stored generated columns all compute a value for every
// existing row as they are added: a full rewrite under ACCESS EXCLUSIVE, blocking reads and writes.
export const addColumnGenerated: Rule = {
	id: 'add-column-generated',
	severity: 'error',
	description: 'ADD COLUMN of a serial, identity or stored generated column rewrites the table.',
	alternative: hint,
	check(ctx) {
		const found: RuleFinding[] = ctx.file.operations.flatMap((op, operation) =>
			op.kind === 'add_column' && serialTypes.has(op.body.column.type.trim().toLowerCase())
				? [{operation, message: `"${op.body.column.name}" ${op.body.column.type} fills every existing row from a sequence under ACCESS EXCLUSIVE`, hint}]
				: [],
		);
		walkStatements(ctx, visit => {
			const table = relationName(body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt')?.relation);
			if (!table || visit.state.isNew(table)) return;
			for (const cmd of alterCommands(visit.statement.node)) {
				const column = body<ColumnDef>(cmd.def, 'ColumnDef');
				const rewrite = cmd.subtype === 'AT_AddColumn' && column ? generatedColumn(column) : undefined;
				if (rewrite) found.push(about(visit, `${rewrite} of "${table}" under ACCESS EXCLUSIVE`, {plan: hint, file: 'add a plain bigint column, fill it in batches from a sequence, then SET DEFAULT nextval(…)'}));
			}
		});
		return found;
	},
};
