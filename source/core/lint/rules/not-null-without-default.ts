import type {Rule} from '../rule.js';

export const notNullWithoutDefault: Rule = {
	id: 'not-null-without-default',
	severity: 'warning',
	description: 'A NOT NULL column without a default on an existing table.',
	check: ({file}) =>
		file.operations.flatMap((op, operation) =>
			op.kind === 'add_column' && op.body.column.nullable !== true && (op.body.column.default ?? undefined) === undefined
				? [{operation, message: `"${op.body.column.name}" is NOT NULL without a default: after contract, any insert that leaves it out fails`, hint: 'give it a default, or make sure every writer sets it before contract'}]
				: [],
		),
};
