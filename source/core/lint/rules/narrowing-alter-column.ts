import {isSafeWidening, parseTypeName} from '../../type-change.js';
import type {Rule, RuleFinding} from '../rule.js';
import {typeChangeNarrows} from '../sql/types.js';

const hint = 'give "up" to say what a value that does not fit becomes (e.g. left(email, 100)); without it zdm checks every existing row before the first step and refuses if one would change';

// WHY a warning, not an error? zdm never converts quietly: without `up` it counts the rows that
// would fail or change before anything runs, and refuses. The risk is a refusal, or a value the
// old application writes mid-migration that no longer fits.
export const narrowingAlterColumn: Rule = {
	id: 'narrowing-alter-column',
	severity: 'warning',
	description: 'alter_column to a type that cannot hold every old value (shorter limit, smaller integer, fewer digits, text to a parsed type), with no "up".',
	alternative: hint,
	check(ctx) {
		return ctx.file.operations.flatMap((op, operation): RuleFinding[] => {
			if (op.kind !== 'alter_column' || op.body.type === undefined || op.body.up !== undefined) return [];
			const from = ctx.catalog?.table(op.body.table)?.columns.find(column => column.name === op.body.column)?.type;
			if (!from || isSafeWidening(from, op.body.type)) return [];
			const risk = typeChangeNarrows(parseTypeName(from), parseTypeName(op.body.type)) ?? `${from} → ${op.body.type}: values may fail to convert or change`;
			return [{operation, message: `"${op.body.column}" of "${op.body.table}" ${risk}; rows the old application writes until contract can too`, hint}];
		});
	},
};
