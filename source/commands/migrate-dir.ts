import {ExitCode, ZdmError} from '../core/errors.js';
import type {Executor, StepOutcome} from '../core/executor.js';
import {progressPct} from '../core/plan.js';
import type {Database} from '../db/database.js';
import {followEntry, openChainEntry, readChain, type OpenChainMigration} from '../services/chain.js';
import {formatEvent, formatFinding} from './format.js';
import type {Io} from './io.js';
import {confirm} from './migrate.js';
import {baseSchema, type CommandFlags} from './options.js';

/** One migration's outcome, as the summary lists it. */
interface Applied {
	id: string;
	phase: string;
	progress: number;
	versionSchema: string;
}

/** Print a migration's events as they come, each JSON line naming the migration it belongs to. */
function report(opened: OpenChainMigration, io: Io, json: boolean) {
	const {executor} = opened;
	let lastBatchLine = 0;
	return followEntry(opened, event => {
		if (json) {
			const {position: _position, total: _total, ...labelled} = event;
			io.out(JSON.stringify(event.type === 'history' ? {type: 'history', ...event.entry, migration: event.migration} : 'step' in event ? {...labelled, step: {number: event.step.number, phase: event.step.phase, description: event.step.description, status: event.step.status}} : labelled));
			return;
		}

		if (event.type === 'batch') {
			const now = Date.now();
			if (now - lastBatchLine < 1000 && event.rowsDone < event.rowsTotal) return;
			lastBatchLine = now;
			io.out(`  backfill ${event.rowsDone}/${event.rowsTotal} rows (${Math.round(event.rowsPerSecond)} rows/s, batch ${event.batchSize})`);
			return;
		}

		const line = formatEvent(event, executor.plan.steps.length);
		if (line) io.out(line);
	});
}

const appliedOf = (executor: Executor): Applied => ({
	id: executor.plan.id,
	phase: executor.plan.phase,
	progress: Math.round(progressPct(executor.plan) * 10) / 10,
	versionSchema: executor.plan.versionSchema,
});

function announce(io: Io, json: boolean, opened: OpenChainMigration) {
	const {entry} = opened;
	const goal = entry.target === 'complete' ? 'COMPLETE' : 'started (before contract)';
	if (json) {
		io.out(JSON.stringify({type: 'migration', migration: entry.file.id, file: entry.file.path, position: opened.position + 1, total: opened.total, parent: entry.parent ?? null, resumed: entry.resume, target: entry.target}));
	} else {
		io.out(`── ${entry.file.id} (${opened.position + 1}/${opened.total}, ${entry.file.path}${entry.resume ? ', resumed' : ''}) → ${goal}`);
	}
}

/**
 * `zdm-tui migrate DIR`: every pending migration of the directory, in file-name order; all but
 * the last to COMPLETE, the last left started (or COMPLETE with --complete), as pgroll's migrate.
 */
export async function migrateDir(dir: string, db: Database, flags: CommandFlags, io: Io, signal: AbortSignal): Promise<number> {
	if (flags.traffic !== undefined) throw new ZdmError('bad-input', '--traffic works with run and start, not migrate', 'drop --traffic');
	if (flags.failAt !== undefined) throw new ZdmError('bad-input', '--fail-at works with run and start: a chain has a step 1 in every migration', 'drop --fail-at, or run one migration with zdm-tui run FILE --fail-at N');
	const chain = await readChain(db, {dir, complete: flags.complete ?? false, allow: flags.allow, schema: baseSchema(flags)});
	if (!flags.json) for (const [id, findings] of chain.findings) for (const finding of findings) io.err(`${chain.files.find(file => file.id === id)!.path}: ${formatFinding(finding)}`);
	const last = chain.history.at(-1);
	if (chain.entries.length === 0) {
		if (flags.json) io.out(JSON.stringify({type: 'summary', migrations: [], applied: chain.history.length, ...(last ? {latest: last.id, phase: last.phase} : {})}));
		else io.out(`nothing to migrate on ${db.label}: ${chain.history.length} migration${chain.history.length === 1 ? '' : 's'} applied${last ? `, the last (${last.id}) ${last.phase}` : ''}`);
		return ExitCode.ok;
	}

	await confirm(io, flags, db, `migrate ${chain.entries.length} migration${chain.entries.length === 1 ? '' : 's'} from ${dir}`);
	const applied: Applied[] = [];
	const finish = (error?: string) => {
		const final = applied.at(-1);
		if (flags.json) io.out(JSON.stringify({type: 'summary', migrations: applied, ...(final ? {phase: final.phase, versionSchema: final.versionSchema} : {}), ...(error ? {error} : {})}));
		else {
			for (const migration of applied) io.out(`${migration.id}: ${migration.phase}, ${migration.progress.toFixed(0)} %`);
			if (error) io.out(`stopped: ${error}`);
			else if (final) io.out(`applications use search_path "${final.versionSchema}"${final.phase === 'COMPLETE' ? '' : `; zdm-tui complete ${final.id} once the old version is retired`}`);
		}
	};

	for (const entry of chain.entries) {
		const opened = await openChainEntry(db, chain, entry, {flags, signal});
		let outcome: StepOutcome;
		try {
			announce(io, flags.json, opened);
			const stop = report(opened, io, flags.json);
			try {
				outcome = await opened.executor.run(opened.stopBefore);
			} finally {
				stop();
			}

			applied.push(appliedOf(opened.executor));
		} catch (error) {
			applied.push(appliedOf(opened.executor));
			finish(error instanceof ZdmError ? error.oneLine() : undefined);
			throw error;
		} finally {
			await opened.release();
		}

		if (outcome.outcome === 'rolled-back') {
			// The migrations before it stay COMPLETE; this one is undone, and a rerun starts it afresh.
			finish(`migration ${entry.file.id} failed and was rolled back (${outcome.error}); the ones before it stay applied`);
			return ExitCode.rolledBack;
		}
	}

	finish();
	return ExitCode.ok;
}
