import {shortSql} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';
import {tableWork} from '../sql/work.js';

const hint = 'keep the ACCESS EXCLUSIVE statement alone in its step, or last: move the work to its own step (or to a backfill)';

/**
 * Once a transaction holds ACCESS EXCLUSIVE on a table, every later statement runs with every
 * reader and writer of that table waiting. Statements that only change the catalog are instant,
 * so they pass: that is how zdm's final contract step works (drop the triggers, drop or rename
 * columns, SET NOT NULL on a validated check) — one atomic commit, held for milliseconds.
 * Anything that scans, rewrites, builds an index or changes rows is caught.
 */
export const workAfterAccessExclusive = statementRule({
	id: 'work-after-access-exclusive',
	severity: 'error',
	description: 'A statement that scans, rewrites or changes rows after ACCESS EXCLUSIVE was taken in the same transaction.',
	alternative: hint,
	visit(visit) {
		const held = visit.state.accessExclusive;
		if (!held) return undefined;
		const work = tableWork(visit.statement.node, visit.state);
		return work ? about(visit, `${work} while "${held.table}" is locked ACCESS EXCLUSIVE since "${shortSql(held.text, 40)}"`, {plan: hint, file: 'keep the ACCESS EXCLUSIVE statement alone in its transaction, or last: COMMIT before the slow work'}) : undefined;
	},
});
