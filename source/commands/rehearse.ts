import {statSync} from 'node:fs';
import {ZdmError} from '../core/errors.js';
import {readPlanFile} from '../core/plan-file.js';
import {openRehearsalCopy, type RehearsalCopy} from '../services/rehearse.js';
import {rehearsalTimings} from '../services/rehearse-timing.js';
import type {Database} from '../db/database.js';
import type {Io} from './io.js';
import {migrate} from './migrate.js';
import {migrateDir} from './migrate-dir.js';
import {baseSchema, type CommandFlags} from './options.js';
import {readChain} from '../services/chain.js';
import {preparePlan, startedMigration} from './prepare.js';
import {copyLines, timingLines} from './rehearse-report.js';

/*
 * `zdm-tui rehearse PLAN --from URL`: the plan runs, exactly as `run` runs it, on a throwaway
 * embedded copy of the target's schema; the target is only read.
 */

/** What runs on the copy, and the ids of the migrations it runs (their steps are timed). */
export interface RehearsalRunner {
	migrations: string[];
	/** Resolves to the exit code, as the same command on the target would. */
	run(copy: Database, io: Io): Promise<number>;
}

/** One plan file, through `run`'s own code (lint, plan-time checks, the executor). */
function planRunner(path: string, flags: CommandFlags, signal: AbortSignal): RehearsalRunner {
	const file = readPlanFile(path);
	return {migrations: [file.id], run: async (copy, io) => migrate('run', path, copy, {...flags, yes: true}, io, signal)};
}

/**
 * A directory: its pending chain through `migrate DIR`'s own code, from where the copied zdm state
 * says the target is. WHY to COMPLETE, the last one too? A rehearsal exists to try contract.
 */
function chainRunner(dir: string, flags: CommandFlags, signal: AbortSignal): RehearsalRunner {
	const migrations: string[] = [];
	const chainFlags = {...flags, yes: true, complete: true};
	return {
		migrations,
		async run(copy, io) {
			const chain = await readChain(copy, {dir, complete: true, allow: flags.allow, schema: baseSchema(flags)});
			// Only what runs here is timed: the copied state also holds the target's own history.
			migrations.push(...chain.entries.map(entry => entry.file.id));
			return migrateDir(dir, copy, chainFlags, io, signal);
		},
	};
}

const isDirectory = (target: string) => {
	try {
		return statSync(target).isDirectory();
	} catch {
		return false;
	}
};

/** The runner for a rehearse target: one plan file, or a directory of migrations (a chain). */
function runnerFor(target: string, flags: CommandFlags, signal: AbortSignal): RehearsalRunner {
	return isDirectory(target) ? chainRunner(target, flags, signal) : planRunner(target, flags, signal);
}

export function checkRehearseFlags(flags: CommandFlags, from: string | undefined, option: '--from' | '--rehearse-from'): string {
	const other = option === '--from' ? flags.rehearseFrom : flags.from;
	if (other !== undefined) throw new ZdmError('bad-input', option === '--from' ? 'rehearse takes --from URL; --rehearse-from is the dashboard’s' : 'the dashboard takes --rehearse-from URL; --from is rehearse’s', option === '--from' ? 'use --from URL' : 'use --rehearse-from URL');
	if (!from) throw new ZdmError('bad-input', `rehearse needs the database to copy: ${option} DATABASE_URL`, `e.g. zdm-tui rehearse samples/add-display-name.yaml ${option} postgres://user@host:5432/app`);
	if (!/^postgres(ql)?:\/\//.test(from)) throw new ZdmError('bad-input', `${option} needs a PostgreSQL URL (postgres://…), got "${from.slice(0, 40)}"`, `e.g. ${option} postgres://user@host:5432/app`);
	if (flags.databaseUrl || flags.dataDir) throw new ZdmError('bad-input', `${option} rehearses on a throwaway copy; --database-url and --data-dir choose another database`, `drop --database-url / --data-dir`);
	if ((flags.replica ?? []).length > 0) throw new ZdmError('bad-input', 'the rehearsal copy has no replicas to throttle for', 'drop --replica and --max-lag');
	if (flags.copyRows !== undefined && flags.rows !== undefined) throw new ZdmError('bad-input', '--rows generates rows and --copy-rows copies real ones: choose one', 'drop one of them');
	return from;
}

/** A skipped object on a table the plan changes would make the rehearsal say something untrue. */
export async function refuseIfPlanTablesLack(copy: RehearsalCopy, path: string, flags: CommandFlags) {
	if (copy.report.skipped.length === 0) return;
	if (isDirectory(path)) return refuseIfChainTablesLack(copy, path, flags);
	// A migration started on the target goes on from its stored steps, as `run` would take it up.
	const file = readPlanFile(path);
	const plan = (await startedMigration(copy.db, file)) ?? (await preparePlan(copy.db, path, flags.allow, file)).plan;
	const changed = new Set(plan.steps.flatMap(step => [step.table && `${plan.schema}.${step.table}`, step.backfill && `${step.backfill.schema}.${step.backfill.table}`]).filter(Boolean));
	const missing = copy.report.skipped.find(skipped => skipped.table && changed.has(`${skipped.table.schema}.${skipped.table.table}`));
	if (missing) {
		throw new ZdmError('bad-input', `the embedded copy cannot hold ${missing.object} (${missing.reason}), and the plan changes ${missing.table!.schema}.${missing.table!.table}: a rehearsal without it would mislead`, 'rehearse on a scratch PostgreSQL server restored from pg_dump instead');
	}
}

/**
 * A chain's later files name tables earlier ones create, so they cannot be compiled against the
 * copy up front: the tables every operation names are what the skipped objects are checked against.
 */
async function refuseIfChainTablesLack(copy: RehearsalCopy, dir: string, flags: CommandFlags) {
	const schema = baseSchema(flags);
	const {files} = await readChain(copy.db, {dir, complete: true, allow: flags.allow, schema});
	const named = new Set(files.flatMap(file => file.plan.operations.map(operation => (operation.body as {table?: unknown}).table)).filter((table): table is string => typeof table === 'string'));
	const missing = copy.report.skipped.find(skipped => skipped.table?.schema === schema && named.has(skipped.table.table));
	if (missing) {
		throw new ZdmError('bad-input', `the embedded copy cannot hold ${missing.object} (${missing.reason}), and ${dir} changes ${missing.table!.schema}.${missing.table!.table}: a rehearsal without it would mislead`, 'rehearse on a scratch PostgreSQL server restored from pg_dump instead');
	}
}

export async function rehearse(target: string, flags: CommandFlags, io: Io, signal: AbortSignal): Promise<number> {
	const from = checkRehearseFlags(flags, flags.from, '--from');
	const runner = runnerFor(target, flags, signal);
	const copy = await openRehearsalCopy({from, rows: flags.rows, copyRows: flags.copyRows, signal, onProgress: flags.json || !io.interactive ? undefined : what => io.err(what)});
	try {
		if (flags.json) io.out(JSON.stringify({type: 'rehearsal', ...copy.report}));
		else for (const line of [`rehearse ${target} on a throwaway embedded ${copy.db.label}`, ...copyLines(copy.report)]) io.out(line);
		await refuseIfPlanTablesLack(copy, target, flags);
		// The run's summary is the last JSON line: it gains the rehearsal's timings.
		let summary: Record<string, unknown> | undefined;
		const runIo: Io = {...io, out: line => (flags.json && line.startsWith('{"type":"summary"') ? (summary = JSON.parse(line) as Record<string, unknown>) : io.out(line))};
		try {
			return await runner.run(copy.db, runIo);
		} finally {
			// Also after a failed run: the steps that did run were timed.
			const timings = await rehearsalTimings(copy.db, runner.migrations, copy.report);
			if (flags.json) {
				if (summary) io.out(JSON.stringify({...summary, rehearsal: {source: copy.report.source, rows: copy.report.rows, timings}}));
			} else for (const line of timingLines(timings)) io.out(line);
		}
	} finally {
		await copy.db.close();
	}
}
