import {body, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = 'REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index): readers keep the old rows meanwhile';

// WHY an error? A plain refresh holds ACCESS EXCLUSIVE on the view while its query runs: every
// reader of the view waits for the whole query.
export const requireConcurrentRefresh = statementRule({
	id: 'require-concurrent-refresh',
	severity: 'error',
	description: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every reader of the view while its query runs.',
	alternative: hint,
	visit(visit) {
		const refresh = body<{concurrent?: boolean; skipData?: boolean; relation?: {relname?: string}}>(visit.statement.node, 'RefreshMatViewStmt');
		if (!refresh || refresh.concurrent || refresh.skipData) return undefined;
		const view = relationName(refresh.relation);
		if (visit.state.isNew(view)) return undefined;
		return about(visit, `readers of "${view}" wait under ACCESS EXCLUSIVE until its query has run`, hint);
	},
});
