import type {Node} from 'libpg-query';
import {body, names} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';
import {typeChanges} from '../sql/type-changes.js';
import {typeChangeRewrite} from '../sql/types.js';

const hint = {plan: 'use an alter_column operation with "type": zdm fills a new column in batches and swaps it in at contract', file: 'add a new column of the new type, backfill it in batches, move the application over, then drop the old one'};

/** USING that only restates the column (x, or x::newtype) leaves a binary-compatible change free. */
function trivialUsing(using: Node | undefined, column: string): boolean {
	if (!using) return true;
	const value = body<{arg?: Node}>(using, 'TypeCast')?.arg ?? using;
	const fields = names(body<{fields?: Node[]}>(value, 'ColumnRef')?.fields);
	return fields.length === 1 && fields[0] === column;
}

// WHY an error? Most type changes rewrite every row and rebuild every index under ACCESS
// EXCLUSIVE. The binary-compatible ones (varchar(n) → varchar(m ≥ n) or text, text → varchar,
// numeric precision up, timestamp precision up, cidr → inet) only touch the catalog and pass.
export const typeChangeRewriteRule = statementRule({
	id: 'type-change-rewrite',
	severity: 'error',
	description: 'ALTER COLUMN … TYPE that rewrites the table (anything but the binary-compatible changes).',
	alternative: hint.plan,
	visit(visit) {
		return typeChanges(visit).flatMap(({table, column, definition, from, to}) => {
			if (!to) return [];
			if (!trivialUsing(definition.raw_default, column)) return [about(visit, `USING rewrites every row of "${table}" under ACCESS EXCLUSIVE`, hint)];
			// Without the table's catalog the old type is unknown: say so, without claiming a rewrite.
			if (!from) return [about(visit, `cannot tell whether changing "${column}" rewrites "${table}": its current type is unknown`, hint, 'warning')];
			const rewrite = typeChangeRewrite(from, to);
			return rewrite ? [about(visit, `${rewrite} of "${table}" under ACCESS EXCLUSIVE`, hint)] : [];
		});
	},
});
