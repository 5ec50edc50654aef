import {deriveDown} from '../../operations/sql-inverse.js';
import {sqlParserLoaded} from '../sql/parser.js';
import type {Rule} from '../rule.js';

const hint = 'add "down" with the SQL that reverses "up"';

// A sql operation whose statements only create new objects gets its down derived at compile
// (operations/sql-inverse.ts): only SQL without a provable inverse is left without one.
export const sqlWithoutDown: Rule = {
	id: 'sql-without-down',
	severity: 'error',
	description: 'A raw sql operation with no down and no provable inverse: nothing can undo it if a later step fails.',
	alternative: hint,
	check: ({file, plan}) =>
		file.operations.flatMap((op, operation) => {
			if (op.kind !== 'sql' || op.body.down !== undefined) return [];
			if (plan?.steps.some(step => step.operation === operation && step.rollback.length > 0)) return [];
			const inverse = sqlParserLoaded() ? deriveDown(op.body.up) : undefined;
			if (inverse && 'down' in inverse) return [];
			return [{operation, message: `sql operation without "down" cannot be rolled back${inverse ? `: ${inverse.missing}` : ''}`, hint}];
		}),
};
