import {about, statementRule} from '../sql/statement-rule.js';
import {typeChanges} from '../sql/type-changes.js';
import {typeChangeNarrows} from '../sql/types.js';

const hint = 'check every value fits first (SELECT … WHERE the value does not fit), or keep the wider type and add a CHECK … NOT VALID for new rows';

// WHY an error? A value that does not fit fails the whole ALTER (after it has held ACCESS
// EXCLUSIVE for the rewrite) or, worse, is silently rounded or cut. Judged only when the old type
// is known: from the database's catalog, or from the SQL that created the column.
export const narrowingTypeChange = statementRule({
	id: 'narrowing-type-change',
	severity: 'error',
	description: 'ALTER COLUMN … TYPE to a narrower type (shorter limit, smaller integer, fewer digits, text to a parsed type): values can fail or be cut.',
	alternative: hint,
	visit(visit) {
		return typeChanges(visit).flatMap(({table, column, from, to}) => {
			const narrows = from && to ? typeChangeNarrows(from, to) : undefined;
			return narrows ? [about(visit, `"${column}" of "${table}" ${narrows}`, hint)] : [];
		});
	},
});
