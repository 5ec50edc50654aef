import type {DropStmt, Node} from 'libpg-query';
import {body, names} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

// WHY only a warning? Under zdm's lock_timeout the DROP gives up rather than queue for long, and
// the drop itself is instant; but it needs ACCESS EXCLUSIVE on the table, so it still waits for
// every running query on it and stalls the queries that arrive meanwhile.
export const requireConcurrentDropIndex = statementRule({
	id: 'require-concurrent-drop-index',
	severity: 'warning',
	description: 'DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on its table.',
	alternative: 'DROP INDEX CONCURRENTLY, run on its own outside a transaction',
	visit(visit) {
		const drop = body<DropStmt>(visit.statement.node, 'DropStmt');
		if (drop?.removeType !== 'OBJECT_INDEX' || drop.concurrent) return undefined;
		const indexes = (drop.objects ?? []).map(object => names(body<{items?: Node[]}>(object, 'List')?.items).at(-1));
		return about(visit, `dropping ${indexes.join(', ')} locks its table against reads and writes`, 'DROP INDEX CONCURRENTLY, on its own outside a transaction');
	},
});
