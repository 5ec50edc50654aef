import type {ColumnDef, TypeName} from 'libpg-query';
import type {Rule, RuleFinding} from '../rule.js';
import {walkStatements} from '../sql/analysis.js';
import {findAll, lastName} from '../sql/nodes.js';
import {about} from '../sql/statement-rule.js';

const hint = 'use jsonb';

// WHY a warning? json works, but is stored as text: reparsed on every read, no equality operator
// (so no DISTINCT, GROUP BY or UNIQUE), no GIN index.
export const preferJsonb: Rule = {
	id: 'prefer-jsonb',
	severity: 'warning',
	description: 'json instead of jsonb: no equality operator, no indexes, reparsed on every read.',
	alternative: hint,
	check(ctx) {
		const found: RuleFinding[] = ctx.file.operations.flatMap((op, operation) => {
			const type = op.kind === 'add_column' ? op.body.column.type : op.kind === 'alter_column' ? op.body.type : undefined;
			return type && /^\s*json\s*(\[\])?\s*$/i.test(type) ? [{operation, message: `type "${type}" is json`, hint}] : [];
		});
		walkStatements(ctx, visit => {
			// Column definitions in CREATE TABLE, ADD COLUMN and ALTER COLUMN … TYPE all carry a ColumnDef.
			const json = findAll<ColumnDef>(visit.statement.node, 'ColumnDef').filter(column => isJson(column.typeName));
			if (json.length > 0) found.push(about(visit, `${json.map(column => column.colname ?? 'a column').join(', ')} ${json.length === 1 ? 'is' : 'are'} json`, hint));
		});
		return found;
	},
};

const isJson = (type: TypeName | undefined) => lastName(type?.names) === 'json';
