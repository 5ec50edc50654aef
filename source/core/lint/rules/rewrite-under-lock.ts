import type {DefElem, Node, VacuumStmt} from 'libpg-query';
import {body, kindOf, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = 'pg_repack or pg_squeeze rebuild a table while it stays in use; plain VACUUM (without FULL) needs no strong lock';

const isFull = (vacuum: VacuumStmt) => (vacuum.options ?? []).some(option => body<DefElem>(option, 'DefElem')?.defname === 'full');

// WHY an error? CLUSTER and VACUUM FULL write a new copy of the table and its indexes while
// holding ACCESS EXCLUSIVE: no reads, no writes, for as long as copying the table takes.
export const rewriteUnderLock = statementRule({
	id: 'rewrite-under-lock',
	severity: 'error',
	description: 'CLUSTER or VACUUM FULL: rewrites the table and its indexes under ACCESS EXCLUSIVE.',
	alternative: hint,
	visit(visit) {
		const {node} = visit.statement;
		const kind = kindOf(node);
		const cluster = body<{relation?: {relname?: string}}>(node, 'ClusterStmt');
		const vacuum = body<VacuumStmt>(node, 'VacuumStmt');
		if (kind === 'ClusterStmt') {
			const table = relationName(cluster?.relation);
			if (table && visit.state.isNew(table)) return undefined;
			return about(visit, `CLUSTER rewrites ${table ? `"${table}"` : 'every clustered table'} under ACCESS EXCLUSIVE: no reads or writes until it is done`, hint);
		}

		if (!vacuum || !isFull(vacuum)) return undefined;
		const tables = (vacuum.rels ?? []).map(rel => relationName(body<{relation?: {relname?: string}}>(rel as Node, 'VacuumRelation')?.relation)).filter(table => !visit.state.isNew(table));
		if ((vacuum.rels ?? []).length > 0 && tables.length === 0) return undefined;
		return about(visit, `VACUUM FULL rewrites ${tables.length > 0 ? tables.map(table => `"${table}"`).join(', ') : 'every table'} under ACCESS EXCLUSIVE: no reads or writes until it is done`, hint);
	},
});
