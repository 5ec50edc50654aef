import {spawn} from 'node:child_process';
import pg from 'pg';
import type {PgServer} from '../test/support/pg-server.js';
import {serverWriters} from './server-db.js';
import {childrenCpuMs, postmasterOf, processesCpuMs, serverCpuMs} from './server-cpu.js';
import {sleep} from './stats.js';
import {startWriters, type WriterResult} from './writers.js';

/**
 * The server contenders side by side, each on a fresh copy of the same seeded table, with the
 * same writers around it:
 * - big-bang: ALTER TABLE … ADD COLUMN, then one UPDATE of every row (what psql would do);
 * - pgroll-style: a trigger computes the new column for every write, and one session walks the
 *   primary key in batches of 1,000, touching each row with `SET id = id` (selected FOR NO KEY
 *   UPDATE) so the trigger fills it, no delay between batches — as pgroll's backfill does;
 * - zdm: the whole `zdm-tui run samples/add-display-name.yaml` command, process start to exit.
 */
export type ContenderName = 'big-bang' | 'pgroll-style' | 'zdm run';
export const contenderNames: ContenderName[] = ['big-bang', 'pgroll-style', 'zdm run'];

export interface Load {
	name: 'gentle' | 'unpaused';
	writers: number;
	pauseMs: number;
	insertShare: number;
}

/** 4 connections writing every 10 ms (80 % UPDATE, 20 % INSERT), as before. */
export const gentle: Load = {name: 'gentle', writers: 4, pauseMs: 10, insertShare: 0.2};
/** Like `pgbench -c 2` with a script that rewrites a random row by id: no pause at all. */
export const unpaused: Load = {name: 'unpaused', writers: 2, pauseMs: 0, insertShare: 0};

export interface ContenderRun {
	name: ContenderName;
	ms: number;
	/** The writes due while the contender ran. */
	writes: WriterResult;
	/** Writers' transactions per second while it ran, and in the same length of time just before. */
	tps: number;
	baselineTps: number;
	/** zdm: batches and their mean time, from its --json events. */
	note?: string;
	/**
	 * CPU time while it ran: the server's processes apart from the writers' backends (the
	 * contender's own, the WAL writer's, the checkpointer's), the `zdm-tui run` process, and the
	 * writers' backends.
	 */
	cpu: {serverMs: number; clientMs: number; writersMs: number};
	/** zdm: what the run was doing when the longest write wait ended. */
	longestDuring?: string;
}

const templateName = 'bench_contenders_template';
const warmUpMs = 500;
const baselineMs = 2000;
// A write stuck behind a lock finishes just after the contender ends: wait for it.
const drainMs = 300;

async function admin<T>(server: PgServer, work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({connectionString: server.url});
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}

/**
 * A copy of the seeded template for one contender. WHY FILE_COPY? The default strategy writes
 * the whole database to WAL, which would flood a replica and the checkpointer between rounds.
 */
export async function freshCopy(server: PgServer, name: string): Promise<string> {
	await admin(server, async client => {
		await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
		await client.query(`CREATE DATABASE ${name} TEMPLATE ${templateName} STRATEGY FILE_COPY`);
		await client.query('CHECKPOINT');
	});
	return server.urlFor(name);
}

export async function prepareTemplate(server: PgServer, rows: number) {
	const {seededDatabase} = await import('./server-db.js');
	const {db} = await seededDatabase(server, templateName, rows);
	await db.close();
}

async function bigBang(url: string) {
	const client = new pg.Client({connectionString: url});
	await client.connect();
	try {
		await client.query('ALTER TABLE users ADD COLUMN display_name text');
		await client.query('UPDATE users SET display_name = initcap(username)');
	} finally {
		await client.end();
	}
}

/** pgroll's shape, for this table: a needs-backfill flag, the trigger that fills, the walk. */
async function pgrollStyle(url: string) {
	const client = new pg.Client({connectionString: url});
	await client.connect();
	try {
		await client.query('ALTER TABLE users ADD COLUMN display_name text, ADD COLUMN _pgroll_needs_backfill boolean DEFAULT true');
		const {rows: columns} = await client.query<{name: string}>("SELECT attname AS name FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum");
		// As pgroll's trigger: every column as a variable, the search_path looked up on every row.
		const declarations = columns.map(({name}) => `"${name}" public.users."${name}"%TYPE := NEW."${name}";`).join('\n');
		await client.query(`CREATE FUNCTION _pgroll_trigger_users_display_name() RETURNS trigger LANGUAGE plpgsql AS $$
			DECLARE
			${declarations}
			latest_schema text;
			search_path text;
			BEGIN
				SELECT current_setting INTO search_path FROM current_setting('search_path');
				IF search_path != 'public_02_add_display_name' THEN
					NEW."display_name" = initcap(username);
					NEW."_pgroll_needs_backfill" = false;
				END IF;
				RETURN NEW;
			END; $$`);
		await client.query('CREATE TRIGGER _pgroll_trigger_users_display_name BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION _pgroll_trigger_users_display_name()');
		let last: string | null = null;
		for (;;) {
			const {rows}: {rows: Array<{last: string | null}>} = await client.query(
				`WITH batch AS (SELECT id FROM users WHERE _pgroll_needs_backfill = true${last === null ? '' : ' AND (id) > ($1)'} ORDER BY id LIMIT 1000 FOR NO KEY UPDATE),
				update AS (UPDATE users SET id = users.id FROM batch WHERE users.id = batch.id RETURNING users.id)
				SELECT LAST_VALUE(id) OVER ()::text AS last FROM update`,
				last === null ? [] : [last],
			);
			if (rows.length === 0) break;
			last = rows[0]!.last;
		}
	} finally {
		await client.end();
	}
}

/** The whole command as a user runs it; its --json batches say how the backfill went. */
/** An event of the run's --json output, with when it arrived. */
type TimedEvent = {type: string; batchMs?: number; step?: {number: number}; arrivedAt: number};

/** What the run was doing when a write's wait ended: the last event that had arrived by then. */
function doingAt(events: TimedEvent[], at: number | undefined): string {
	if (at === undefined) return '';
	const last = events.filter(event => event.arrivedAt <= at).at(-1);
	if (!last) return 'before the first step';
	return `${last.type}${last.step ? ` of step ${last.step.number}` : ''}`;
}

async function zdmRun(cli: string, url: string, extra: string[] = []): Promise<{note: string; summary: Record<string, unknown>; events: TimedEvent[]}> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [cli, 'run', 'samples/add-display-name.yaml', '--yes', '--json', '--database-url', url, ...extra], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, DATABASE_URL: undefined}});
		let out = '';
		let err = '';
		const events: TimedEvent[] = [];
		child.stdout.on('data', chunk => {
			out += String(chunk);
			const lines = out.split('\n');
			out = lines.pop()!;
			for (const line of lines) if (line.startsWith('{')) events.push({...(JSON.parse(line) as Omit<TimedEvent, 'arrivedAt'>), arrivedAt: performance.now()});
		});
		child.stderr.on('data', chunk => (err += String(chunk)));
		child.on('error', reject);
		child.on('close', code => {
			if (code !== 0) return reject(new Error(`zdm-tui run exited ${code}: ${err.trim().split('\n').at(-1) ?? ''}`));
			if (out.startsWith('{')) events.push({...(JSON.parse(out) as Omit<TimedEvent, 'arrivedAt'>), arrivedAt: performance.now()});
			const batches = events.filter(event => event.type === 'batch');
			const mean = batches.reduce((sum, batch) => sum + (batch.batchMs ?? 0), 0) / Math.max(1, batches.length);
			resolve({note: `${batches.length} batches of ~${mean.toFixed(0)} ms`, summary: events.at(-1) as Record<string, unknown>, events});
		});
	});
}

export interface RunOptions {
	cli: string;
	/** Extra flags for zdm-tui run (e.g. --replica). */
	zdmFlags?: string[];
	/** Called with the database URL just before the contender starts (may add zdm flags), and after it ends. */
	around?: {before?: (url: string) => Promise<string[]>; after?: () => Promise<void>};
}

/** One contender on a fresh copy, writers on before (a baseline window) and during. */
export async function runContender(server: PgServer, name: ContenderName, load: Load, options: RunOptions): Promise<ContenderRun & {summary?: Record<string, unknown>}> {
	const url = await freshCopy(server, `bench_${name.replace(/\W/g, '_')}`);
	const writers = await serverWriters(url, load.writers);
	const rows = await admin(server, async () => {
		const client = new pg.Client({connectionString: url});
		await client.connect();
		const {rows: counted} = await client.query<{max: number}>('SELECT max(id)::int AS max FROM users');
		await client.end();
		return counted[0]!.max;
	});
	const traffic = startWriters(writers.statementFor, {writers: load.writers, maxId: rows, pauseMs: load.pauseMs, insertShare: load.insertShare});
	try {
		await sleep(warmUpMs);
		traffic.take();
		await sleep(baselineMs);
		const baseline = traffic.take();
		const zdmFlags = [...(options.zdmFlags ?? []), ...((await options.around?.before?.(url)) ?? [])];
		const postmaster = postmasterOf(writers.backends[0]!)!;
		const cpuNow = () => ({server: serverCpuMs(postmaster), writers: processesCpuMs(writers.backends), client: childrenCpuMs()});
		const cpuBefore = cpuNow();
		const started = performance.now();
		let note: string | undefined;
		let summary: Record<string, unknown> | undefined;
		let events: TimedEvent[] = [];
		if (name === 'big-bang') await bigBang(url);
		else if (name === 'pgroll-style') await pgrollStyle(url);
		else ({note, summary, events} = await zdmRun(options.cli, url, zdmFlags));
		const ended = performance.now();
		await options.around?.after?.();
		await sleep(drainMs);
		// After the drain: a contender's backend that has just exited counts once the postmaster has
		// reaped it, and the writers' CPU in the drain is taken out with theirs.
		const cpuAfter = cpuNow();
		const writersMs = cpuAfter.writers - cpuBefore.writers;
		const cpu = {serverMs: cpuAfter.server - cpuBefore.server - writersMs, clientMs: cpuAfter.client - cpuBefore.client, writersMs};
		const writes = traffic.take(ended);
		const ms = ended - started;
		return {name, ms, writes, tps: (writes.count / ms) * 1000, baselineTps: (baseline.count / baselineMs) * 1000, note, summary, cpu, longestDuring: name === 'zdm run' ? doingAt(events, writes.longestEndedAt) : undefined};
	} finally {
		await traffic.stop();
		await writers.close();
	}
}
