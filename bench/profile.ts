import {spawn, spawnSync} from 'node:child_process';
import pg from 'pg';
import {batchSettings, recordBatch} from '../source/core/backfill-sql.js';
import type {BackfillSpec} from '../source/core/plan.js';
import {openPostgres} from '../source/db/postgres.js';
import type {PgServer} from '../test/support/pg-server.js';
import {freshCopy} from './contenders.js';
import {context, type Figure} from './report.js';
import {seededDatabase} from './server-db.js';
import {expandedSample} from './zdm-run.js';
import {median} from './stats.js';

/**
 * Where the whole `zdm-tui run` spends its time, measured before optimising (issue 12): the
 * command's start-up, each batch's statements, the sync trigger's cost per backfilled row, and
 * commit and WAL costs. No writers: these are costs, not waits.
 */
export async function profile(server: PgServer, rows: number, cli: string): Promise<Figure[]> {
	const figures: Figure[] = [];
	await startup(server, cli, figures);
	await perRow(server, rows, figures);
	await stepByStep(server, rows, cli, figures);
	return figures;
}

/**
 * The whole `zdm-tui run` on the full table, step by step as its own --json reports them: what
 * the contenders' wall time is made of, beside the backfill (verify and VALIDATE each read the
 * whole table once more).
 */
async function stepByStep(server: PgServer, rows: number, cli: string, figures: Figure[]) {
	const section = `profile: the whole run on ${Math.round(rows / 1000)}k rows, step by step`;
	const url = await freshCopy(server, 'bench_profile_steps');
	const started = performance.now();
	const run = spawnSync(process.execPath, [cli, 'run', 'samples/add-display-name.yaml', '--yes', '--json', '--database-url', url], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
	const wallMs = performance.now() - started;
	if (run.status !== 0) throw new Error(`zdm-tui run exited ${run.status}: ${run.stderr.split('\n')[0]}`);
	type Event = {type: string; durationMs?: number; step?: {number: number; description: string}};
	const events = run.stdout.split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line) as Event);
	let stepsMs = 0;
	for (const event of events) {
		if (event.type !== 'step-executed' || !event.step) continue;
		stepsMs += event.durationMs ?? 0;
		figures.push(context(section, `  ${event.step.number}. ${event.step.description.slice(0, 60)}`, event.durationMs ?? 0, 'ms', 'from the run\'s own step-executed event'));
	}

	const cancelled = events.filter(event => event.type === 'autovacuum-cancelled').length;
	const waits = events.filter(event => event.type === 'lock-wait').length;
	figures.push(context(section, 'whole command, process start to exit', wallMs, 'ms', `steps ${stepsMs.toFixed(0)} ms; start-up, state and exit ${(wallMs - stepsMs).toFixed(0)} ms; ${waits} lock waits, ${cancelled} autovacuum cancelled`));
}

async function startup(server: PgServer, cli: string, figures: Figure[]) {
	const section = 'profile: start-up';
	const small = await seededDatabase(server, 'bench_profile_small', 1000);
	await small.db.close();
	// Process start to the first step, as a user sees it: a fresh database each time.
	const firstStep: number[] = [];
	const whole: number[] = [];
	for (let round = 0; round < 3; round++) {
		const {url, db} = await seededDatabase(server, 'bench_profile_startup', 1000);
		await db.close();
		const times = await runTimes(cli, url);
		firstStep.push(times.firstStepMs);
		whole.push(times.exitMs);
	}

	const help = Array.from({length: 5}, () => {
		const started = performance.now();
		spawnSync(process.execPath, [cli, '--help'], {stdio: 'ignore'});
		return performance.now() - started;
	});
	figures.push(context(section, 'node + zdm-tui --help', median(help), 'ms', 'median of 5: the floor every command pays'));
	figures.push(context(section, 'run: process start → first step', median(firstStep), 'ms', `median of 3 (${firstStep.map(ms => ms.toFixed(0)).join(', ')} ms); whole run of 1,000 rows ${median(whole).toFixed(0)} ms`));
	const phases = spawnSync(process.execPath, ['bench/startup-phases.mjs', small.url], {encoding: 'utf8'});
	if (phases.status !== 0) throw new Error(`startup-phases failed: ${phases.stderr.split('\n')[0]}`);
	for (const [phase, ms] of Object.entries(JSON.parse(phases.stdout) as Record<string, number>)) figures.push(context(section, `  ${phase}`, ms, 'ms', 'one process, in order'));
}

/** Spawn → first step-started event, and → exit. */
async function runTimes(cli: string, url: string): Promise<{firstStepMs: number; exitMs: number}> {
	return new Promise((resolve, reject) => {
		const started = performance.now();
		let firstStepMs = 0;
		const child = spawn(process.execPath, [cli, 'run', 'samples/add-display-name.yaml', '--yes', '--json', '--database-url', url], {stdio: ['ignore', 'pipe', 'ignore']});
		child.stdout.on('data', chunk => {
			if (!firstStepMs && String(chunk).includes('"step-started"')) firstStepMs = performance.now() - started;
		});
		child.on('error', reject);
		child.on('close', code => (code === 0 ? resolve({firstStepMs, exitMs: performance.now() - started}) : reject(new Error(`zdm-tui run exited ${code}`))));
	});
}

/** The expand steps done by the real executor; returns the backfill's statements. */
async function expanded(url: string): Promise<BackfillSpec> {
	const db = await openPostgres(url);
	try {
		return (await expandedSample(db)).next!.backfill!;
	} finally {
		await db.close();
	}
}

/** How the table's sync trigger stands during one range UPDATE. */
const triggerVariants = ['no trigger', 'disabled', 'skipped by WHEN', 'replica role, as zdm', 'trigger fires'] as const;
type TriggerVariant = (typeof triggerVariants)[number];

async function perRow(server: PgServer, rows: number, figures: Figure[]) {
	const url = await freshCopy(server, 'bench_profile_rows');
	const spec = await expanded(url);
	const client = new pg.Client({connectionString: url});
	await client.connect();
	try {
		const {rows: found} = await client.query<{name: string}>("SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal");
		const trigger = `"${found[0]!.name}"`;
		// Count the sync trigger's function calls: the proof that WHEN skips the backfill's rows.
		await client.query("SET track_functions = 'pl'");
		const triggerCalls = async () => {
			await client.query('SELECT pg_stat_force_next_flush()');
			const {rows: calls} = await client.query<{calls: string | null}>('SELECT sum(calls)::text AS calls FROM pg_stat_user_functions WHERE funcname LIKE $1', ['\\_zdm\\_%']);
			return Number(calls[0]?.calls ?? 0);
		};
		const walAt = async () => BigInt((await client.query<{bytes: string}>("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text AS bytes")).rows[0]!.bytes);
		// Key ranges of `chunk` rows, each used once, handed out in turn.
		const chunk = Math.max(1000, Math.floor(rows / 18));
		let nextKey = 0;
		const range = () => {
			const from = nextKey;
			nextKey += chunk;
			return [from, nextKey] as const;
		};

		const {rows: definition} = await client.query<{create: string}>("SELECT pg_get_triggerdef(oid) AS create FROM pg_trigger WHERE tgrelid = 'users'::regclass AND tgname = $1", [found[0]!.name]);
		let present = true;
		/**
		 * WHY drop it for "no trigger", not DISABLE it? A table with any BEFORE UPDATE row trigger,
		 * disabled or skipped, has each row fetched and locked for the trigger before the UPDATE
		 * writes it (a second WAL record a row): only a table without one updates as the big
		 * UPDATE does.
		 */
		const update = async (variant: TriggerVariant) => {
			const wanted = variant !== 'no trigger';
			if (present && !wanted) await client.query(`DROP TRIGGER ${trigger} ON users`);
			if (!present && wanted) await client.query(definition[0]!.create);
			present = wanted;
			if (wanted) await client.query(`ALTER TABLE users ${variant === 'disabled' ? 'DISABLE' : 'ENABLE'} TRIGGER ${trigger}`);
			await client.query("SELECT set_config('zdm.backfill', $1, false), set_config('synchronous_commit', 'off', false), set_config('session_replication_role', $2, false)", [
				variant === 'skipped by WHEN' ? 'on' : 'off',
				variant === 'replica role, as zdm' ? 'replica' : 'origin',
			]);
			const [from, to] = range();
			const calls = await triggerCalls();
			const wal = await walAt();
			const started = performance.now();
			const result = await client.query('UPDATE users SET display_name = initcap(username) WHERE id > $1 AND id <= $2', [from, to]);
			const ms = performance.now() - started;
			const walPerRow = Number((await walAt()) - wal) / (result.rowCount ?? 1);
			return {usPerRow: (ms * 1000) / (result.rowCount ?? 1), walPerRow, callsPerRow: ((await triggerCalls()) - calls) / (result.rowCount ?? 1)};
		};

		// Alternating, so a noisy neighbour spreads over all of them.
		const samples = new Map<string, Array<{usPerRow: number; walPerRow: number; callsPerRow: number}>>(triggerVariants.map(variant => [variant, []]));
		for (let round = 0; round < 3; round++) for (const variant of triggerVariants) samples.get(variant)!.push(await update(variant));
		if (!present) await client.query(definition[0]!.create);
		await client.query("SELECT set_config('session_replication_role', 'origin', false)");
		const section = 'profile: per row (one range UPDATE)';
		// WHY the best of three? On a shared machine noise only ever adds time.
		const best = (variant: string) => Math.min(...samples.get(variant)!.map(sample => sample.usPerRow));
		const base = best('no trigger');
		for (const variant of triggerVariants) {
			const us = best(variant);
			const wal = median(samples.get(variant)!.map(sample => sample.walPerRow));
			figures.push(context(section, `UPDATE, sync trigger ${variant}`, us, 'µs', `best of 3 ranges of ${chunk} rows: ${samples.get(variant)!.map(sample => sample.usPerRow.toFixed(2)).join(', ')} µs; ${variant === 'no trigger' ? 'as the big UPDATE' : `${(((us - base) / base) * 100).toFixed(0)} % over no trigger`}; WAL ${wal.toFixed(0)} B a row; trigger function calls per row: ${median(samples.get(variant)!.map(sample => sample.callsPerRow)).toFixed(2)}`));
		}

		figures.push(context(section, 'WAL per row (UPDATE, no trigger)', median(samples.get('no trigger')!.map(sample => sample.walPerRow)), 'B', 'full_page_writes is off on the bench server: with it on, the first change to each page after a checkpoint adds the page'));

		// The backfill's own statements on its own session, as it runs them: a few batches.
		await client.query(`ALTER TABLE users ENABLE TRIGGER ${trigger}`);
		await client.query(batchSettings, ['500ms', false]);
		const size = Math.min(chunk, 10_000);
		const batches: Array<{fillMs: number; commitMs: number; rows: number; wal: number}> = [];
		const callsBefore = await triggerCalls();
		// Pages no range above touched: from the page of the first row not updated yet (rows were seeded in key order).
		const table = (await client.query<{pages: number; files: string}>(spec.pages, [spec.relation])).rows[0]!;
		const {rows: at} = await client.query<{page: number; per_page: number}>(
			"SELECT (ctid::text::point)[0]::int AS page, (SELECT reltuples / relpages FROM pg_class WHERE oid = 'users'::regclass)::float8 AS per_page FROM users WHERE id = $1",
			[nextKey + 1],
		);
		const pages = Math.max(1, Math.round(size / at[0]!.per_page));
		let from = at[0]!.page;
		for (let batch = 0; batch < 5; batch++) {
			await client.query('BEGIN');
			const wal = await walAt();
			let started = performance.now();
			const filled = await client.query(spec.pageBatch, [`(${from},0)`, `(${from + pages},0)`, spec.relation, table.files]);
			await client.query(recordBatch, ['PROFILE', 3, batch + 1, String(from), String(from + pages), filled.rowCount, table.files]);
			const fillMs = performance.now() - started;
			const walBytes = Number((await walAt()) - wal);
			started = performance.now();
			await client.query('COMMIT');
			batches.push({fillMs, commitMs: performance.now() - started, rows: filled.rowCount ?? 0, wal: walBytes});
			from += pages;
		}

		const batchCalls = (await triggerCalls()) - callsBefore;
		const perBatch = 'profile: one backfill batch';
		const fill = median(batches.map(batch => batch.fillMs));
		const rowsFilled = median(batches.map(batch => batch.rows));
		figures.push(context(perBatch, `fill ${pages} pages (${rowsFilled} rows) and record the batch`, fill, 'ms', `${((fill * 1000) / rowsFilled).toFixed(2)} µs a row (a TID range scan: no walk to find the batch's end); sync trigger function calls in 5 batches: ${batchCalls}`));
		figures.push(context(perBatch, 'commit (synchronous_commit off)', median(batches.map(batch => batch.commitMs)), 'ms', 'the batch\'s WAL is flushed by the WAL writer, not waited for'));
		figures.push(context(perBatch, 'WAL per row (batch)', median(batches.map(batch => batch.wal / batch.rows)), 'B', 'the record row adds ~100 B a batch'));
	} finally {
		await client.end();
	}
}
