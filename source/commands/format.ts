import {ident} from '../core/sql.js';
import type {ExecutorEvent} from '../core/events.js';
import type {Finding} from '../core/lint/index.js';
import {progressPct, type Plan, type Step} from '../core/plan.js';
import type {ThrottleFigures} from '../core/replica-lag.js';

export const mark = (step: Pick<Step, 'status'>) =>
	({pending: '·', running: '▶', executed: '✔', rolled_back: '↺', failed: '✗'})[step.status];

export const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export function formatFinding(finding: Finding): string {
	return `${finding.severity === 'error' ? 'error  ' : 'warning'} ${finding.rule}${finding.operation === undefined ? '' : ` (operations[${finding.operation}])`}: ${finding.message} — ${finding.hint}`;
}

/** The plan with every step's forward and rollback SQL, as `zdm-tui plan` prints it. */
/** What each of a backfill step's statements does (see backfill-sql.ts). */
const backfillLabels = ["the table's size in pages, and the files its rows are in", 'each batch: fill the empty rows of a range of pages (on the embedded database, with zdm\'s sync triggers dropped and created again inside it)', 'each batch, in the same transaction: record it'];
/** What each of a verify step's read-only statements does (see verify-sql.ts). */
const verifyLabels = ["the table's size in pages", 'each batch: the rows of a range of pages, and the first that do not match'];

export function formatPlan(plan: Plan): string[] {
	const lines = [
		`${plan.id}: ${plan.title}  (${plan.steps.length} steps, ${plan.phase}, ${progressPct(plan).toFixed(0)} %)`,
		`the new application version uses search_path ${ident(plan.versionSchema)}`,
	];
	let phase = '';
	for (const step of plan.steps) {
		if (step.phase !== phase) {
			phase = step.phase;
			lines.push('', `── ${phase} ──`);
		}

		lines.push(`${mark(step)} ${step.number}. ${step.description}${step.irreversible ? '  [point of no return]' : ''}`);
		const labels = step.kind === 'backfill' ? backfillLabels : step.kind === 'verify' ? verifyLabels : undefined;
		const forward = labels ? step.forward.map((sql, index) => `-- ${labels[index] ?? 'batch'}\n${sql}`) : step.forward;
		lines.push('   forward:', ...forward.flatMap(sql => indent(sql)));
		lines.push('   rollback:', ...(step.rollback.length > 0 ? step.rollback.flatMap(sql => indent(sql)) : ['      -- nothing: ' + (step.irreversible ? 'cannot be undone' : 'undone with an earlier step')]));
	}

	return lines;
}

const indent = (sql: string) => `${sql};`.split('\n').map(line => `      ${line}`);

/** One human line for an event, or undefined for events too frequent to print. */
export function formatEvent(event: ExecutorEvent, total: number): string | undefined {
	switch (event.type) {
		case 'step-executed': {
			return `✔ ${event.step.number}/${total} [${event.step.phase}] ${event.step.description} (${seconds(event.durationMs)})`;
		}

		case 'step-failed': {
			return `✗ ${event.step.number}/${total} [${event.step.phase}] ${event.step.description}: ${event.error}`;
		}

		case 'step-rolled-back': {
			return `↺ ${event.step.number}/${total} rolled back: ${event.step.description}`;
		}

		case 'lock-wait': {
			const who = event.blockers[0];
			return `… step ${event.step.number} waits for its lock (attempt ${event.attempt}, ${seconds(event.waitedMs)})${who ? `: blocked by pid ${who.pid} (${who.seconds.toFixed(0)} s, ${who.query})` : ''}`;
		}

		case 'autovacuum-cancelled': {
			return `… step ${event.step.number}: cancelled autovacuum on ${event.table} (pid ${event.pids.join(', ')}): it held a lock the step needs; PostgreSQL runs it again later`;
		}

		case 'phase': {
			return `── ${event.phase} ──`;
		}

		default: {
			return undefined;
		}
	}
}

/** One backfill step's throttle figures as a line (the summary and `status`). */
export const throttleLine = (step: number, figures: ThrottleFigures) =>
	`step ${step} backfill: replica lag peaked at ${seconds(figures.peakLagMs)} (limit ${seconds(figures.maxLagMs)}); waited ${seconds(figures.waitedMs)} in ${figures.waits} wait${figures.waits === 1 ? '' : 's'}`;
