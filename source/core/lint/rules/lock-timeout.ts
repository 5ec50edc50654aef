import type {A_Const, VariableSetStmt} from 'libpg-query';
import {body, kindOf} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';
import {accessExclusiveTable} from '../sql/locks.js';

/** Longer than this, a DDL statement queued behind a long query stalls every query behind it. */
const maxLockTimeoutMs = 5000;

const units: Record<string, number> = {us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000};

/** The lock_timeout a SET gives, in ms; 0 means none (wait forever), as does DEFAULT/RESET. */
function setting(set: VariableSetStmt): number {
	if (set.kind !== 'VAR_SET_VALUE') return 0;
	const value = body<A_Const>(set.args?.[0], 'A_Const');
	if (value?.ival) return value.ival.ival ?? 0;
	const text = value?.sval?.sval?.trim() ?? '0';
	const match = /^(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?$/i.exec(text);
	return match ? Number(match[1]) * (units[(match[2] ?? 'ms').toLowerCase()] ?? 1) : 0;
}

const lockTimeoutSet = (node: Parameters<typeof kindOf>[0]) => {
	const set = body<VariableSetStmt>(node, 'VariableSetStmt');
	return set && (set.name === 'lock_timeout' || (set.kind === 'VAR_RESET_ALL' && set.name === undefined)) ? set : undefined;
};

/** DDL that queues for a lock on a table: ACCESS EXCLUSIVE, or an index or trigger build. */
const locksTable = (node: Parameters<typeof kindOf>[0]) =>
	accessExclusiveTable(node) !== undefined || ['AlterTableStmt', 'IndexStmt', 'CreateTrigStmt'].includes(kindOf(node));

/**
 * The executor runs every step under a short lock_timeout (and retries with backoff), so DDL never
 * waits in the lock queue ahead of the application for long. Raw SQL that turns it off, or sets a
 * long one, brings that danger back for every DDL statement after it in the step.
 */
export const lockTimeout = statementRule({
	id: 'lock-timeout',
	severity: 'error',
	description: 'DDL without a short lock_timeout (raw SQL that disables or raises the one zdm sets).',
	alternative: `leave lock_timeout to zdm (--lock-timeout), or keep it at most ${maxLockTimeoutMs / 1000} s`,
	visit(visit) {
		const {unit, statement, index} = visit;
		const set = lockTimeoutSet(statement.node);
		if (!set) return undefined;
		const ms = setting(set);
		if (ms > 0 && ms <= maxLockTimeoutMs) return undefined;
		// Reported once, on the SET, for the DDL that runs under it (until the next SET). In a .sql
		// file a plain SET lasts for the session, past the statement's own transaction.
		const after = !unit.step && !set.is_local ? visit.later() : unit.statements.slice(index + 1);
		const next = after.findIndex(s => lockTimeoutSet(s.node));
		const ddl = (next === -1 ? after : after.slice(0, next)).filter(s => locksTable(s.node));
		if (ddl.length === 0) return undefined;
		return about(
			visit,
			`${ddl.length} DDL statement${ddl.length === 1 ? '' : 's'} then run${ddl.length === 1 ? 's' : ''} ${ms === 0 ? 'without lock_timeout' : `with lock_timeout ${ms} ms`}: each can wait in the lock queue while every query on its table waits behind it`,
			{plan: `leave lock_timeout to zdm, or set it to at most ${maxLockTimeoutMs / 1000} s`, file: `SET lock_timeout to at most ${maxLockTimeoutMs / 1000} s before DDL, and retry the migration when it times out`},
		);
	},
});
