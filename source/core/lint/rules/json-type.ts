import type {Rule} from '../rule.js';

export const jsonType: Rule = {
	id: 'prefer-jsonb',
	severity: 'warning',
	description: 'json instead of jsonb: no equality operator, no indexes, reparsed on every read.',
	check: ({file}) =>
		file.operations.flatMap((op, operation) => {
			const type = op.kind === 'add_column' ? op.body.column.type : op.kind === 'alter_column' ? op.body.type : undefined;
			return type && /^\s*json\s*(\[\])?\s*$/i.test(type) ? [{operation, message: `type "${type}" is json`, hint: 'use jsonb'}] : [];
		}),
};
