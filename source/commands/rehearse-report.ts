import type {CopyReport} from '../services/rehearse.js';
import {estimateText, humanRows, timingCaveat, type StepTiming} from '../services/rehearse-timing.js';
import {seconds} from './format.js';

/** What the copy holds and lacks, as `rehearse` prints it before the run (and the dashboard after). */
export function copyLines(report: CopyReport): string[] {
	const loaded = [
		`loaded ${report.objects} objects`,
		report.roles.length > 0 ? `${report.roles.length === 1 ? '1 role as a NOLOGIN placeholder' : `${report.roles.length} roles as NOLOGIN placeholders`} (${report.roles.slice(0, 3).join(', ')}${report.roles.length > 3 ? ', …' : ''})` : '',
		report.extensions.length > 0 ? `extension${report.extensions.length === 1 ? '' : 's'} ${report.extensions.join(', ')} from PGlite` : '',
		report.state ? 'zdm’s state with its rows' : '',
	].filter(Boolean);
	const lines = [`source: ${report.source} (PostgreSQL ${report.serverVersion}), read with ${report.reader} in a read-only transaction`, `  ${loaded.join('; ')}`];
	lines.push(
		report.rows.mode === 'copied'
			? `rows: up to ${report.rows.perTable.toLocaleString('en')} REAL rows a table, copied from the target (--copy-rows)`
			: `rows: generated; none left the target (up to ${report.rows.perTable.toLocaleString('en')} a table, no more than it has)`,
	);
	const width = Math.max(0, ...report.tables.map(table => `${table.schema}.${table.table}`.length));
	for (const table of report.tables) {
		const target = table.production === null ? 'target: never analyzed' : `target ≈ ${humanRows(table.production)}`;
		lines.push(`  ${`${table.schema}.${table.table}`.padEnd(width)}  ${table.rows.toLocaleString('en').padStart(9)} rows  (${target}${table.note ? `; ${table.note}` : ''})`);
	}

	for (const skipped of report.skipped) lines.push(`not copied: ${skipped.object} — ${skipped.reason}`);
	for (const constraint of report.notValid) lines.push(`NOT VALID: ${constraint.constraint} — ${constraint.reason}`);
	return lines;
}

/** Cut to a width with an ellipsis, padded to it. */
const fit = (text: string, width: number) => ([...text].length > width ? `${[...text].slice(0, width - 1).join('')}…` : text.padEnd(width));

/** Per-step times and their extrapolation to the target's size, with the caveat. */
export function timingLines(timings: StepTiming[]): string[] {
	if (timings.length === 0) return [];
	const lines = ['timings on the copy, extrapolated to the target’s rows (pg_class.reltuples):'];
	// A chain's steps are numbered per migration: each migration gets a heading of its own.
	const several = new Set(timings.map(timing => timing.migration)).size > 1;
	let heading: string | undefined;
	for (const timing of timings) {
		if (several && timing.migration !== heading) lines.push(`  ${(heading = timing.migration)}`);
		const step = `${String(timing.number).padStart(3)}. ${fit(timing.description, 36)}`;
		lines.push(`${step} ${seconds(timing.ms).padStart(7)}  ${estimateText(timing)}`);
	}

	lines.push(...timingCaveat);
	return lines;
}
