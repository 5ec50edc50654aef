import {ExitCode, ZdmError} from '../core/errors.js';
import type {Executor, StepOutcome} from '../core/executor.js';
import {progressPct} from '../core/plan.js';
import type {Database} from '../db/database.js';
import type {PlanFile} from '../core/plan-file.js';
import {ident, shown} from '../core/sql.js';
import {hasStateSchema, loadMigration} from '../db/state.js';
import {openMigration, openStoredMigration, type OpenMigration} from '../services/open-migration.js';
import {formatEvent, formatFinding, seconds, throttleLine} from './format.js';
import type {Io} from './io.js';
import type {CommandFlags} from './options.js';
import type {Traffic} from '../traffic/traffic.js';
import type {ThrottleFigures} from '../core/replica-lag.js';

export type MigrateCommand = 'run' | 'start' | 'complete' | 'rollback';

/** Changing a database needs a yes: from --yes, or from the person at the terminal. */
export async function confirm(io: Io, flags: CommandFlags, db: Database, what: string) {
	if (flags.yes) return;
	if (!io.interactive || !io.ask) throw new ZdmError('bad-input', `refusing to ${what} without a terminal to confirm it`, 'pass --yes to confirm');
	if (db.kind === 'embedded' && !flags.dataDir) return;
	if (!(await io.ask(`${what} on ${db.label}?`))) throw new ZdmError('bad-input', 'not confirmed; nothing changed', 'answer y, or pass --yes');
}

/** What the replica lag throttle did in this run, over its backfill steps. */
type ThrottleSeen = Map<number, Omit<ThrottleFigures, 'waits'> & {waits: number; throttled: boolean}>;

/** Print events as they come: JSON lines, or one human line per step and a progress line now and then. */
function report(executor: Executor, io: Io, json: boolean, throttle: ThrottleSeen) {
	let lastBatchLine = 0;
	const total = executor.plan.steps.length;
	return executor.on(event => {
		if (event.type === 'replica-lag') {
			const seen = throttle.get(event.step.number) ?? {maxLagMs: event.maxLagMs, peakLagMs: 0, waitedMs: 0, waits: 0, throttled: false};
			const worst = Math.max(0, ...event.replicas.map(replica => replica.lagMs ?? 0));
			if (!json && event.throttled !== seen.throttled) io.out(event.throttled ? `… backfill waits: ${lagLine(event.replicas)} (limit ${seconds(event.maxLagMs)})` : `… replicas within ${seconds(event.maxLagMs)} again; the backfill goes on (waited ${seconds(event.waitedMs)} so far)`);
			throttle.set(event.step.number, {maxLagMs: event.maxLagMs, peakLagMs: Math.max(seen.peakLagMs, worst), waitedMs: event.waitedMs, waits: seen.waits + (event.throttled && !seen.throttled ? 1 : 0), throttled: event.throttled});
		}

		if (event.type === 'replicas-unthrottled' && !json) io.err(`warning: ${replicaList(event.replicas)} stream${event.replicas.length === 1 ? 's' : ''} from this database and nothing keeps ${event.replicas.length === 1 ? 'it' : 'them'} within a lag — give --replica URL (and --max-lag MS) to throttle the backfill for ${event.replicas.length === 1 ? 'it' : 'them'}`);
		if (json) {
			io.out(JSON.stringify(event.type === 'history' ? {type: 'history', ...event.entry} : 'step' in event ? {...event, step: {number: event.step.number, phase: event.step.phase, description: event.step.description, status: event.step.status}} : event));
			return;
		}

		if (event.type === 'batch') {
			const now = Date.now();
			if (now - lastBatchLine < 1000 && event.rowsDone < event.rowsTotal) return;
			lastBatchLine = now;
			io.out(`  ${event.step.kind === 'verify' ? 'verify' : 'backfill'} ${event.rowsDone}/${event.rowsTotal} rows (${Math.round(event.rowsPerSecond)} rows/s, ETA ${seconds(event.etaMs)}, batch ${event.batchSize})`);
			return;
		}

		const line = formatEvent(event, total);
		if (line) io.out(line);
	});
}

const replicaList = (replicas: string[]) => `${replicas.length === 1 ? 'a replica' : `${replicas.length} replicas`} (${replicas.join(', ')})`;

/** "replica lag 2.3 s on host:5433/app", or which replica could not be read. */
function lagLine(replicas: Array<{replica: string; lagMs?: number; error?: string}>): string {
	const unreadable = replicas.find(replica => replica.lagMs === undefined);
	if (unreadable) return `replica ${unreadable.replica} cannot be read (${unreadable.error ?? 'no answer'})`;
	const worst = replicas.reduce((a, b) => ((b.lagMs ?? 0) > (a.lagMs ?? 0) ? b : a));
	return `replica lag ${seconds(worst.lagMs ?? 0)} on ${worst.replica}`;
}

/** --traffic: v1 and v2 derived from the plan; loaded only when asked for. */
async function trafficFor(flags: CommandFlags, db: Database, file: PlanFile, executor: Executor): Promise<Traffic | undefined> {
	if (!flags.traffic) return undefined;
	const {prepareTraffic, trafficOptions} = await import('../traffic/index.js');
	return prepareTraffic(db, file, executor.plan, trafficOptions(flags, flags.traffic));
}

export async function migrate(command: MigrateCommand, target: string, db: Database, flags: CommandFlags, io: Io, signal: AbortSignal): Promise<number> {
	if (flags.traffic && command !== 'run' && command !== 'start') {
		throw new ZdmError('bad-input', `--traffic works with run and start, not ${command}`, 'drop --traffic, or give run or start a plan file');
	}

	/** Drive the opened migration, then let go of the database whatever happens; traffic needs the plan file. */
	const driveAndRelease = async (opened: Pick<OpenMigration, 'executor' | 'release'>, file?: PlanFile): Promise<number> => {
		try {
			return await drive(command, opened.executor, io, flags, db, file && (await trafficFor(flags, db, file, opened.executor)));
		} finally {
			await opened.release();
		}
	};

	if (command === 'run' || command === 'start') {
		const opened = await openMigration(db, {
			path: target,
			flags,
			signal,
			refuseLintErrors: true,
			onFindings(findings) {
				for (const finding of findings) if (!flags.json) io.err(formatFinding(finding));
			},
			confirm: async id => confirm(io, flags, db, `${command} migration ${id}`),
		});
		return driveAndRelease(opened, opened.file);
	}

	const stored = (await hasStateSchema(db)) ? await loadMigration(db, target) : undefined;
	if (!stored) throw new ZdmError('bad-input', `no migration ${shown(target)} on this database`, 'see zdm-tui status for the ids');
	// Without --schema, the migration's own schema; with one, it must be that.
	if (flags.schema !== undefined && flags.schema !== stored.schema) {
		throw new ZdmError('bad-input', `migration ${shown(target)} changes schema ${ident(stored.schema)}, not ${ident(flags.schema)}`, `drop --schema, or give --schema ${stored.schema}`);
	}

	await confirm(io, flags, db, `${command} migration ${shown(target)}`);
	// complete: the new application already runs on the version schema; a failing contract must not take it away.
	return driveAndRelease(await openStoredMigration(db, target, flags, signal, {keepStartedOnContractFailure: command === 'complete'}));
}

async function drive(command: MigrateCommand, executor: Executor, io: Io, flags: CommandFlags, db: Database, traffic?: Traffic): Promise<number> {
	const throttle: ThrottleSeen = new Map();
	const stop = report(executor, io, flags.json, throttle);
	// v1 runs from the start, v2 from the end of expand; run retires v1 as contract starts.
	traffic?.start();
	const unfollow = traffic?.follow(executor, {retireBeforeContract: command === 'run'});
	// The old application is up before the first step, as it would be in production.
	await traffic?.ready('v1');
	const endTraffic = async (): Promise<TrafficReport | undefined> => {
		unfollow?.();
		if (!traffic) return undefined;
		const snapshot = await traffic.stop();
		const {trafficSummary, formatTraffic} = await import('../traffic/index.js');
		return {json: trafficSummary(snapshot), lines: formatTraffic(snapshot)};
	};

	const {plan} = executor;
	let result: StepOutcome | undefined;
	let error: string | undefined;
	try {
		if (!flags.json) io.out(`${plan.id}: ${plan.title} on ${db.label} (${plan.phase}, ${progressPct(plan).toFixed(0)} %)`);
		const alreadyComplete = plan.phase === 'COMPLETE';
		const expanded = traffic ? await expandThenDeploy(executor, traffic) : undefined;
		if (expanded?.outcome === 'rolled-back') result = expanded;
		else switch (command) {
			case 'rollback': {
				await executor.rollback();
				break;
			}

			case 'start': {
				result = await executor.run('CONTRACTING');
				break;
			}

			case 'complete': {
				if (plan.phase === 'ROLLED_BACK') throw new ZdmError('bad-input', `migration ${plan.id} is rolled back`, 'run its plan file again to start afresh');
				result = await executor.run();
				break;
			}

			default: {
				if (alreadyComplete && !flags.json) io.out(`migration ${plan.id} is already COMPLETE; nothing to do`);
				result = await executor.run();
			}
		}
	} catch (caught) {
		if (caught instanceof ZdmError) error = caught.oneLine();
		stop();
		summary(io, flags, executor, error, await endTraffic(), throttle);
		throw caught;
	}

	stop();
	if (result?.outcome === 'rolled-back') error = result.error;
	if (result?.outcome === 'contract-failed') {
		error = `contract failed and was undone (${result.error}); migration ${plan.id} is still started and both versions work — fix the cause and run zdm-tui complete ${plan.id} again, or zdm-tui rollback ${plan.id}`;
	}

	summary(io, flags, executor, error, await endTraffic(), throttle);
	return (executor.plan.phase === 'ROLLED_BACK' && command !== 'rollback') || result?.outcome === 'contract-failed' ? ExitCode.rolledBack : ExitCode.ok;
}

/** With traffic: expand, then let v2 answer a request before the backfill starts, as a deploy would. */
async function expandThenDeploy(executor: Executor, traffic: Traffic): Promise<StepOutcome | undefined> {
	while (executor.next?.phase === 'EXPANDING') {
		const outcome = await executor.step();
		if (outcome.outcome !== 'executed') return outcome;
	}

	await traffic.ready('v2');
	return undefined;
}

interface TrafficReport {
	json: object;
	lines: string[];
}

function summary(io: Io, flags: CommandFlags, executor: Executor, error: string | undefined, traffic: TrafficReport | undefined, throttle: ThrottleSeen) {
	const {plan} = executor;
	const progress = Math.round(progressPct(plan) * 10) / 10;
	const replicaLag = [...throttle].map(([step, {throttled: _, ...figures}]) => ({step, ...figures, peakLagMs: Math.round(figures.peakLagMs), waitedMs: Math.round(figures.waitedMs)}));
	if (flags.json) {
		io.out(JSON.stringify({type: 'summary', id: plan.id, title: plan.title, phase: plan.phase, progress, steps: plan.steps.map(s => ({number: s.number, phase: s.phase, status: s.status})), ...(error ? {error} : {}), ...(replicaLag.length > 0 ? {replicaLag} : {}), ...(traffic ? {traffic: traffic.json} : {})}));
	} else {
		io.out(`${plan.id}: ${plan.phase}, ${progress.toFixed(0)} %${error ? ` — ${error}` : ''}`);
		for (const figures of replicaLag) io.out(throttleLine(figures.step, figures));
		for (const line of traffic?.lines ?? []) io.out(line);
	}
}
