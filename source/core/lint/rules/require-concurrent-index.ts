import type {IndexStmt, ReindexStmt} from 'libpg-query';
import {body, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const concurrentReindex = (reindex: ReindexStmt) => JSON.stringify(reindex.params ?? []).includes('"concurrently"');

// WHY an error? A plain CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE
// and DELETE on the table waits until it is done — minutes on a big table.
export const requireConcurrentIndex = statementRule({
	id: 'require-concurrent-index',
	severity: 'error',
	description: 'CREATE INDEX (or REINDEX) without CONCURRENTLY on an existing table blocks writes for the whole build.',
	alternative: 'use a create_index operation: zdm builds it CONCURRENTLY, outside a transaction',
	visit(visit) {
		const index = body<IndexStmt>(visit.statement.node, 'IndexStmt');
		if (index && !index.concurrent && !visit.state.isNew(relationName(index.relation))) {
			return about(visit, `blocks writes to "${relationName(index.relation)}" while the index builds`, {plan: 'use a create_index operation (built CONCURRENTLY, outside a transaction)', file: 'CREATE INDEX CONCURRENTLY, outside BEGIN … COMMIT'});
		}

		const reindex = body<ReindexStmt>(visit.statement.node, 'ReindexStmt');
		if (reindex && !concurrentReindex(reindex)) return about(visit, 'REINDEX without CONCURRENTLY blocks writes while it rebuilds', {plan: 'run REINDEX … CONCURRENTLY outside a migration', file: 'REINDEX … CONCURRENTLY (PostgreSQL 12+), outside BEGIN … COMMIT'});
		return undefined;
	},
});
