/**
 * `npm run bench`: the figures issue 4 promises, each next to its target. Starts its own
 * throwaway PostgreSQL server; takes a few minutes. `--json` prints the figures as JSON.
 */
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {cpus, loadavg, tmpdir, totalmem} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {defaultTargetBatchMs} from '../source/core/backfill.js';
import {startPgServer} from '../test/support/pg-server.js';
import {blockedDdl} from './blocked-ddl.js';
import {keypressLatency} from './keypress.js';
import {lintCorpus} from './lint.js';
import {peakRss} from './memory.js';
import {compareOnPglite} from './pglite-backfill.js';
import {contenderNames, gentle, prepareTemplate, runContender, unpaused, type ContenderName, type ContenderRun, type Load} from './contenders.js';
import {type PgliteComparison} from './pglite-backfill.js';
import {profile} from './profile.js';
import {replicaScenario} from './replica.js';
import {atLeast, atMost, below, context, formatTable, type Figure} from './report.js';
import {seededDatabase} from './server-db.js';
import {compareRename} from './rename.js';
import {median} from './stats.js';
import {cli, embeddedReadyMs, firstFrame, helpMs} from './startup.js';

const {values: options} = parseArgs({
	options: {
		json: {type: 'boolean', default: false},
		rows: {type: 'string', default: '1000000'},
		'pglite-rows': {type: 'string', default: '100000'},
		'target-batch-ms': {type: 'string'},
		'blocker-ms': {type: 'string', default: '5000'},
		only: {type: 'string', multiple: true},
		load: {type: 'string', multiple: true},
		rounds: {type: 'string', default: '3'},
		// Passed on to every `zdm-tui run` a contender makes, e.g. --zdm-flag=--backfill-workers --zdm-flag=3.
		'zdm-flag': {type: 'string', multiple: true},
	},
});
const rows = Number(options.rows);
const pgliteRows = Number(options['pglite-rows']);
// Unless given, each backend runs at the backfill's own default aim (50 ms on a server, 30 on PGlite).
const targetBatchMs = options['target-batch-ms'] === undefined ? undefined : Number(options['target-batch-ms']);
const blockerMs = Number(options['blocker-ms']);
const rounds = Number(options.rounds);
const wanted = (scenario: string) => !options.only || options.only.includes(scenario);
const log = (line: string) => process.stderr.write(`${line}\n`);
// An application's write load: a few connections, each a bounded loop of single-row writes.
const serverLoad = {writers: gentle.writers, pauseMs: gentle.pauseMs};
const pgliteLoad = {writers: 2, pauseMs: 10};
const lockTimeoutMs = 500;

function build() {
	try {
		execFileSync('npm', ['run', '--silent', 'build'], {stdio: 'pipe'});
	} catch (error) {
		if (!existsSync(cli)) throw error;
		log(`! the build failed; measuring the existing ${cli}: ${String((error as {stdout?: unknown}).stdout ?? error).split('\n')[0]}`);
	}
}

const figures: Figure[] = [];
const machine = {
	cores: cpus().length,
	cpu: cpus()[0]?.model ?? 'unknown',
	ramGb: Math.round(totalmem() / 2 ** 30),
	node: process.version,
	postgres: '',
	pglite: '',
	/** 1-minute load average before and after: other work on the machine makes every timing noisy. */
	load: [loadavg()[0]!, 0],
};

/** PGlite's rounds: medians for times and ratios, the worst round for waits. */
function pgliteFigures(section: string, runs: PgliteComparison[]) {
	const worst = (pick: (run: PgliteComparison) => number) => Math.max(...runs.map(pick));
	const zdmWrites = runs.reduce((sum, run) => sum + run.zdm.writes.count, 0);
	const errors = runs.reduce((sum, run) => sum + run.zdm.writes.errors + run.bigBang.writes.errors, 0);
	const last = runs.at(-1)!;
	figures.push(context(section, 'big-bang UPDATE wall time', median(runs.map(run => run.bigBang.ms)) / 1000, 's', `median of ${runs.length}: ${runs.map(run => (run.bigBang.ms / 1000).toFixed(2)).join(', ')} s`));
	figures.push(context(section, 'zdm backfill wall time', median(runs.map(run => run.zdm.backfillMs)) / 1000, 's', `median of ${runs.length}: ${runs.map(run => (run.zdm.backfillMs / 1000).toFixed(2)).join(', ')} s; ${last.zdm.batch.batches} batches of ~${last.zdm.batch.meanBatchMs.toFixed(0)} ms (target ${targetBatchMs ?? defaultTargetBatchMs(false)} ms)`));
	figures.push(atLeast(section, 'throughput zdm ÷ big-bang', median(runs.map(run => run.throughputRatio)), 0.9, '×', `median of ${runs.length} rounds: ${runs.map(run => run.throughputRatio.toFixed(2)).join(', ')}`));
	const ceiling = runs.map(run => run.bigBang.ms / run.underTrigger.ms);
	figures.push(context(section, 'one UPDATE beside the sync trigger ÷ big-bang', median(ceiling), '×', `each round: ${ceiling.map(ratio => ratio.toFixed(2)).join(', ')}; zdm's batch over every page at once in its state before the backfill, no writers: the row lock a BEFORE UPDATE trigger costs, which zdm's batches avoid here by setting the trigger aside`));
	const share = runs.map(run => run.underTrigger.ms / run.zdm.backfillMs);
	figures.push(context(section, 'throughput zdm ÷ that UPDATE', median(share), '×', `each round: ${share.map(ratio => ratio.toFixed(2)).join(', ')}`));
	figures.push(context(section, 'write wait p50, zdm backfill', median(runs.map(run => run.zdm.writes.p50)), 'ms', `p99 ${worst(run => run.zdm.writes.p99).toFixed(1)} ms (worst round), ${zdmWrites} writes, ${errors} errors`));
	figures.push(atMost(section, 'longest write wait, zdm backfill', worst(run => run.zdm.writes.max), 50, 'ms', `worst of ${runs.length} rounds; one backend: writes take turns with the batches`));
	figures.push(context(section, 'longest write wait, big-bang', worst(run => run.bigBang.writes.max), 'ms', 'writers wait for the whole UPDATE'));
}

/**
 * The contenders under one load, round after round: wall time and its ratio to big-bang's (each
 * round's own, the median shown), the writers' throughput kept (during ÷ just before), waits.
 */
function contenderFigures(load: Load, runs: Array<Record<ContenderName, ContenderRun>>) {
	const section = `server ${rows / 1000}k rows, ${load.name} writers`;
	const waitLimit = load.name === 'unpaused' ? 50 : 100;
	for (const name of contenderNames) {
		const mine = runs.map(round => round[name]);
		const ratios = runs.map(round => round['big-bang'].ms / round[name].ms);
		const kept = mine.map(run => (run.tps / Math.max(1e-9, run.baselineTps)) * 100);
		figures.push(context(section, `${name}: wall time`, median(mine.map(run => run.ms)) / 1000, 's', `median of ${mine.length}: ${mine.map(run => (run.ms / 1000).toFixed(2)).join(', ')} s${mine.at(-1)!.note ? `; ${mine.at(-1)!.note}` : ''}`));
		if (name !== 'big-bang') {
			const note = `each round: ${ratios.map(ratio => ratio.toFixed(2)).join(', ')}`;
			figures.push(name === 'zdm run' ? atLeast(section, `${name}: throughput ÷ big-bang`, median(ratios), 0.9, '×', note) : context(section, `${name}: throughput ÷ big-bang`, median(ratios), '×', note));
		}

		const cpu = (run: ContenderRun) => (run.cpu.serverMs + run.cpu.clientMs) / 1000;
		const cpuNote = `each round: ${mine.map(run => `${cpu(run).toFixed(2)}`).join(', ')} s${name === 'zdm run' ? ` (the zdm-tui process ${median(mine.map(run => run.cpu.clientMs / 1000)).toFixed(2)} s of it)` : ''}; ÷ its wall time ${median(mine.map(run => cpu(run) / (run.ms / 1000))).toFixed(2)} cores; the writers' backends ${median(mine.map(run => run.cpu.writersMs / 1000)).toFixed(2)} s`;
		figures.push(context(section, `${name}: CPU time, writers' backends apart`, median(mine.map(run => cpu(run))), 's', cpuNote));
		figures.push(context(section, `${name}: writers' throughput kept`, median(kept), '%', `during ÷ before, each round: ${kept.map(share => share.toFixed(0)).join(', ')} %; ${Math.round(median(mine.map(run => run.tps)))} of ${Math.round(median(mine.map(run => run.baselineTps)))} tx/s`));
		const longest = Math.max(...mine.map(run => run.writes.max));
		const waitNote = `each round: ${mine.map(run => `${run.writes.max.toFixed(0)}${run.longestDuring ? ` (ended in ${run.longestDuring})` : ''}`).join(', ')} ms; p99 ${Math.max(...mine.map(run => run.writes.p99)).toFixed(1)} ms; ${mine.reduce((sum, run) => sum + run.writes.errors, 0)} errors${firstError(mine.map(run => run.writes))}`;
		figures.push(name === 'zdm run' ? atMost(section, `${name}: longest write wait`, longest, waitLimit, 'ms', waitNote) : context(section, `${name}: longest write wait`, longest, 'ms', waitNote));
	}
}

/** A scenario that fails (a broken build, a crash) is reported as such; the others still run. */
async function guarded(scenario: string, work: () => Promise<void>) {
	if (!wanted(scenario)) return;
	try {
		await work();
	} catch (error) {
		const reason = (error instanceof Error ? error.message : String(error)).split('\n').find(line => line.trim() !== '') ?? 'unknown';
		log(`! ${scenario} failed: ${reason}`);
		figures.push(context(scenario, 'scenario failed', undefined, '', reason.slice(0, 120)));
	}
}

log('building dist/ …');
build();
// Lint needs no database: measured first, before the server and PGlite load the machine.
await guarded('lint', async () => {
	log('lint: the corpus in one run, beside squawk …');
	const lint = lintCorpus();
	const section = `lint (${lint.files} files)`;
	figures.push(context(section, 'zdm-tui lint, whole corpus', lint.zdm.best, 'ms', `best of 7 process starts (median ${lint.zdm.median.toFixed(0)} ms); no database`));
	figures.push(context(section, 'dangerous files caught, zdm', lint.zdm.dangerousCaught, '', `of ${lint.dangerous}; safe files flagged: ${lint.zdm.safeFlagged} of ${lint.safe}`));
	if (!lint.squawk) {
		log('! squawk is not installed (npm install --no-save squawk-cli): the squawk comparison is SKIPPED');
		figures.push(context(section, 'squawk, whole corpus', undefined, 'ms', 'SKIPPED: squawk-cli is not installed (npm install --no-save squawk-cli)'));
		return;
	}

	figures.push(context(section, 'squawk, whole corpus', lint.squawk.best, 'ms', `${lint.squawk.version}, best of 7 (median ${lint.squawk.median.toFixed(0)} ms)`));
	figures.push(below(section, 'time zdm ÷ squawk', lint.zdm.best / lint.squawk.best, 5, '×', 'issue 13: "no more than a few times squawk\'s"'));
	figures.push(context(section, 'dangerous files caught, squawk', lint.squawk.dangerousCaught, '', `of ${lint.dangerous}; safe files flagged: ${lint.squawk.safeFlagged} of ${lint.safe} (not counting prefer-robust-stmts and the timeout-settings rules: they flag nearly every statement)`));
});
log('starting a throwaway PostgreSQL server …');
const server = await startPgServer();
// Ctrl-C or a kill: stop the throwaway server too, or it outlives the bench with its data dir.
// WHY on, not once? Ctrl-C reaches this process twice (from the terminal and relayed by tsx), and a
// second signal with no handler would end it before the server stops.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		if (stopping) return;
		stopping = true;
		log(`${signal}: stopping the bench server …`);
		void server.stop().finally(() => process.exit(130));
	});
}

const cacheHome = mkdtempSync(join(tmpdir(), 'zdm-bench-cache-'));
try {
	const pg = await import('pg');
	const probe = new pg.default.Client({connectionString: server.url});
	await probe.connect();
	machine.postgres = (await probe.query<{server_version: string}>('SHOW server_version')).rows[0]!.server_version;
	await probe.end();
	machine.pglite = (JSON.parse(readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8')) as {version: string}).version;

	await guarded('startup', async () => {
		log('start-up: --help, first frame, embedded database …');
		const help = helpMs();
		figures.push(below('start-up', 'zdm-tui --help', help.best, 150, 'ms', `best of 7 process starts (median ${help.median.toFixed(0)} ms)`));
		// An empty cache: the very first start on a machine initialises and seeds, then caches.
		const env = {XDG_CACHE_HOME: cacheHome};
		const cold = await embeddedReadyMs(env);
		const warm = [await embeddedReadyMs(env), await embeddedReadyMs(env)];
		figures.push(context('start-up', 'embedded ready, first start ever (fills the cache)', cold, 'ms'));
		figures.push(below('start-up', 'embedded ready (demo size, cached data dir)', Math.min(...warm), 2000, 'ms', `process spawn → open and seeded; runs ${warm.map(ms => ms.toFixed(0)).join(', ')} ms`));
		const frame = await firstFrame([], 3);
		figures.push(context('start-up', 'dashboard first output (plain line)', frame.ms, 'ms', 'spawn → "starting the dashboard…" in a pseudo-terminal, median of 3'));
		figures.push(below('start-up', 'dashboard first Ink frame', frame.inkMs, 400, 'ms', frame.note ?? 'spawn → header or spinner in a pseudo-terminal, median of 3'));
	});

	await guarded('server', async () => {
		log(`server: seeding ${rows} rows once; each contender gets a copy …`);
		await prepareTemplate(server, rows);
		for (const load of [gentle, unpaused].filter(load => !options.load || options.load.includes(load.name))) {
			const runs: Array<Record<ContenderName, ContenderRun>> = [];
			for (let round = 0; round < rounds; round++) {
				// The order turns each round, so no contender always runs on a warmer (or busier) server.
				const order = contenderNames.map((_, index) => contenderNames[(index + round) % contenderNames.length]!);
				const results: Partial<Record<ContenderName, ContenderRun>> = {};
				for (const name of order) {
					log(`server, ${load.name} writers, round ${round + 1}/${rounds}: ${name} …`);
					results[name] = await runContender(server, name, load, {cli, zdmFlags: options['zdm-flag']});
				}

				runs.push(results as Record<ContenderName, ContenderRun>);
			}

			contenderFigures(load, runs);
		}
	});

	await guarded('profile', async () => {
		log('profile: start-up, per-row and per-batch costs …');
		if (!wanted('server')) await prepareTemplate(server, rows);
		figures.push(...(await profile(server, rows, cli)));
	});

	await guarded('replica', async () => {
		log('replica: zdm run under unpaused writers, with and without the lag throttle …');
		if (!wanted('server') && !wanted('profile')) await prepareTemplate(server, rows);
		figures.push(...(await replicaScenario(server, rows, unpaused, cli)));
	});

	await guarded('rename', async () => {
		log(`rename: a version-schema alias vs the first release's column copy, on ${rows} rows …`);
		const rename = await compareRename(server, rows);
		const section = `rename ${rows / 1000}k rows`;
		const mb = (bytes: number) => bytes / 2 ** 20;
		figures.push(context(section, 'zdm start (expand: the version schema)', rename.zdm.startMs, 'ms', 'the new name is live for the new version from here'));
		figures.push(context(section, 'zdm complete (one RENAME COLUMN)', rename.zdm.completeMs, 'ms'));
		figures.push(context(section, 'hand-written ALTER TABLE … RENAME COLUMN', rename.plain.ms, 'ms'));
		figures.push(context(section, 'copy-based rename (first release)', rename.copy.ms, 'ms', 'new column, sync trigger, batched backfill, drop: measured beside it'));
		figures.push(context(section, 'time copy-based ÷ zdm start + complete', rename.copy.ms / (rename.zdm.startMs + rename.zdm.completeMs), '×'));
		figures.push(context(section, 'table size before', mb(rename.sizeBefore), 'MB'));
		figures.push(context(section, 'table size after, zdm', mb(rename.zdm.sizeAfter), 'MB'));
		figures.push(below(section, 'table size after ÷ before, zdm', rename.zdm.sizeAfter / rename.sizeBefore, 1.01, '×', 'issue 8: the table does not grow'));
		figures.push(context(section, 'table size after, copy-based', mb(rename.copy.sizeAfter), 'MB', `${(rename.copy.sizeAfter / rename.sizeBefore).toFixed(2)}× before`));
	});

	await guarded('blocked', async () => {
		// Two blocker lengths: zdm's worst wait should not grow with the blocker, the naive one does.
		for (const holdMs of [blockerMs, blockerMs * 2]) {
			log(`blocked DDL: a ${holdMs} ms transaction holds users …`);
			const result = await blockedDdl(server, serverLoad, holdMs, lockTimeoutMs);
			const section = `blocked DDL (${holdMs / 1000} s blocker)`;
			figures.push(below(section, 'longest write wait, zdm (lock_timeout + retry)', result.zdm.writes.max, 1500, 'ms', `lock_timeout ${lockTimeoutMs} ms; p99 ${result.zdm.writes.p99.toFixed(0)} ms; migration took ${(result.zdm.ddlMs / 1000).toFixed(1)} s`));
			figures.push(context(section, 'longest write wait, naive ALTER (no lock_timeout)', result.naive.writes.max, 'ms', `p99 ${result.naive.writes.p99.toFixed(0)} ms: writers queue behind the waiting ALTER`));
		}
	});

	await guarded('pglite', async () => {
		log(`PGlite: big-bang vs zdm on ${pgliteRows} rows, ${rounds} rounds …`);
		const runs: PgliteComparison[] = [];
		for (let round = 0; round < rounds; round++) runs.push(await compareOnPglite(pgliteRows, pgliteLoad, targetBatchMs));
		pgliteFigures(`PGlite ${pgliteRows / 1000}k rows`, runs);
	});

	await guarded('keys', async () => {
		log('keypress-to-frame at 1k and 1M rows …');
		const small = await seededDatabase(server, 'bench_keys_small', 1000);
		await small.db.close();
		const smallResult = await keypressLatency(['--database-url', small.url]);
		figures.push(below('responsiveness', 'keypress → frame, 1k rows', smallResult.medianMs, 33, 'ms', smallResult.note ?? `median of 8 presses, max ${smallResult.maxMs?.toFixed(0)} ms`));
		if (smallResult.medianMs === undefined) {
			figures.push(below('responsiveness', 'keypress → frame, 1M rows', undefined, 33, 'ms', 'not measured: see 1k'));
		} else {
			const large = await seededDatabase(server, 'bench_keys_large', 1_000_000);
			await large.db.close();
			const largeResult = await keypressLatency(['--database-url', large.url]);
			figures.push(below('responsiveness', 'keypress → frame, 1M rows', largeResult.medianMs, 33, 'ms', largeResult.note ?? `median of 8 presses, max ${largeResult.maxMs?.toFixed(0)} ms`));
			if (largeResult.medianMs !== undefined) figures.push(context('responsiveness', 'render cost 1M ÷ 1k rows (flat ≈ 1)', largeResult.medianMs / smallResult.medianMs, '×'));
		}
	});

	await guarded('memory', async () => {
		log('peak RSS: run against the server (1M rows), run on the embedded default …');
		const big = await seededDatabase(server, 'bench_memory', rows);
		await big.db.close();
		const againstServer = await peakRss(['run', 'samples/add-display-name.yaml', '--yes', '--database-url', big.url]);
		figures.push(below('memory', `CLI peak RSS, run against a server (${rows / 1000}k rows)`, againstServer.code === 0 ? againstServer.mb : undefined, 150, 'MB', againstServer.code === 0 ? 'VmHWM of the node process' : `run failed: ${againstServer.output.slice(-120)}`));
		const embedded = await peakRss(['run', 'samples/add-display-name.yaml', '--yes'], {XDG_CACHE_HOME: cacheHome});
		figures.push(below('memory', 'peak RSS, embedded default (demo size, whole run)', embedded.code === 0 ? embedded.mb : undefined, 500, 'MB', embedded.code === 0 ? 'PGlite in process' : `run failed: ${embedded.output.slice(-120)}`));
	});
} finally {
	await server.stop();
	rmSync(cacheHome, {recursive: true, force: true});
}

machine.load[1] = loadavg()[0]!;
if (options.json) {
	process.stdout.write(`${JSON.stringify({machine, figures}, null, 2)}\n`);
} else {
	process.stdout.write(`\nzdm-tui bench — ${machine.cores} cores (${machine.cpu}), ${machine.ramGb} GB RAM, Node ${machine.node}, PostgreSQL ${machine.postgres}, PGlite ${machine.pglite}; load average ${machine.load[0]!.toFixed(1)} → ${machine.load[1]!.toFixed(1)}\n\n`);
	process.stdout.write(`${formatTable(figures)}\n`);
	const missed = figures.filter(figure => figure.pass === false);
	process.stdout.write(missed.length === 0 ? '\nEvery measured target met.\n' : `\n${missed.length} target(s) missed: ${missed.map(figure => `${figure.section} / ${figure.name}`).join('; ')}\n`);
}

/** The first error any round's writers saw, so an error count says what it counts. */
function firstError(writes: Array<{firstError?: string}>): string {
	const first = writes.find(write => write.firstError)?.firstError;
	return first ? ` (first: ${first.slice(0, 80)})` : '';
}
