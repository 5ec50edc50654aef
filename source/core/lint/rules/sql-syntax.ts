import type {Rule} from '../rule.js';

// WHY lint it? It would fail at its step, after the earlier steps ran and had to be rolled back;
// PostgreSQL's own parser finds it before anything runs.
export const sqlSyntax: Rule = {
	id: 'sql-syntax',
	severity: 'error',
	description: 'Raw SQL that PostgreSQL cannot parse.',
	alternative: 'fix the SQL at the position shown',
	check: ({sql}) =>
		(sql?.units ?? []).flatMap(unit => {
			if (!unit.syntaxError) return [];
			const {message, position} = unit.syntaxError;
			if (!unit.step) return [{...unit.syntaxErrorAt, message, hint: 'fix the SQL at the line and column shown'}];
			return [{operation: unit.step.operation, message: `step ${unit.step.number} (sql): ${message}${position === undefined ? '' : ` at character ${position + 1}`}`, hint: 'fix the SQL at the position shown'}];
		}),
};
