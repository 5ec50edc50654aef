import type {DropStmt, Node} from 'libpg-query';
import {body, names} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = {plan: 'DROP INDEX CONCURRENTLY, as a sql operation of its own (zdm runs it outside a transaction)', file: 'DROP INDEX CONCURRENTLY, outside BEGIN … COMMIT'};

// WHY an error? The drop itself is instant, but it needs ACCESS EXCLUSIVE on the index's table:
// it queues behind every running query on the table, and every query that arrives meanwhile
// queues behind it — reads included.
export const requireConcurrentDropIndex = statementRule({
	id: 'require-concurrent-drop-index',
	severity: 'error',
	description: 'DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on its table: it waits for every query, and blocks all of them meanwhile.',
	alternative: hint.plan,
	visit(visit) {
		const drop = body<DropStmt>(visit.statement.node, 'DropStmt');
		if (drop?.removeType !== 'OBJECT_INDEX' || drop.concurrent) return undefined;
		const indexes = (drop.objects ?? []).map(object => names(body<{items?: Node[]}>(object, 'List')?.items).at(-1));
		return about(visit, `dropping ${indexes.join(', ')} queues for ACCESS EXCLUSIVE on its table, and every query on it waits meanwhile`, hint);
	},
});
