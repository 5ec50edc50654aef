import type {Rule} from '../rule.js';

export const sqlWithoutDown: Rule = {
	id: 'sql-without-down',
	severity: 'error',
	description: 'A raw sql operation with no down: nothing can undo it if a later step fails.',
	alternative: 'add "down" with the SQL that reverses "up"',
	check: ({file}) =>
		file.operations.flatMap((op, operation) =>
			op.kind === 'sql' && op.body.down === undefined ? [{operation, message: 'sql operation without "down" cannot be rolled back', hint: 'add "down" with the SQL that reverses "up"'}] : [],
		),
};
