import {indexBuildingConstraint} from '../sql/columns.js';
import {addedConstraints} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = {
	plan: 'build the index first (create_index unique: true, CONCURRENTLY), then ADD CONSTRAINT … UNIQUE / PRIMARY KEY USING INDEX',
	file: 'CREATE UNIQUE INDEX CONCURRENTLY first (outside BEGIN … COMMIT), then ADD CONSTRAINT … UNIQUE / PRIMARY KEY USING INDEX',
};

// EXCLUDE has no USING INDEX form: its index is always built by the ALTER itself.
const excludeHint = 'EXCLUDE has no USING INDEX form: add it when the table is created, or while it is small; otherwise enforce the rule in a trigger';

const names = {CONSTR_UNIQUE: 'UNIQUE', CONSTR_PRIMARY: 'PRIMARY KEY', CONSTR_EXCLUSION: 'EXCLUDE'} as Record<string, string>;

// WHY an error? Without USING INDEX the constraint builds its index right there, under ACCESS
// EXCLUSIVE: the table is unreadable and unwritable for the whole build.
export const uniqueWithoutUsingIndex = statementRule({
	id: 'unique-without-using-index',
	severity: 'error',
	description: 'ADD UNIQUE / PRIMARY KEY without USING INDEX, or ADD EXCLUDE, builds the index under ACCESS EXCLUSIVE.',
	alternative: hint.plan,
	visit(visit) {
		const added = addedConstraints(visit.statement.node, table => visit.state.isNew(table));
		if (!added) return undefined;
		const {table} = added;
		return added.constraints
			.filter(indexBuildingConstraint)
			.map(c => about(visit, `${names[c.contype ?? ''] ?? 'the constraint'} builds its index on "${table}" under ACCESS EXCLUSIVE`, c.contype === 'CONSTR_EXCLUSION' ? excludeHint : hint));
	},
});
