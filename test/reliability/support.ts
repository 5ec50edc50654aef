import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {copyFileSync, cpSync, existsSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {promisify} from 'node:util';
import pg from 'pg';
import {afterAll, beforeAll, inject} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import type {Step} from '../../source/core/plan.js';
import {readCatalog} from '../../source/db/catalog.js';
import {createServerDatabase} from '../support/databases.js';
import {findPgBin} from '../support/pg-server.js';
import {resetMigrationsSql} from '../support/reset.js';

/**
 * Helpers for the reliability suite: the real CLI as a child process we can read line by line and
 * kill at a chosen moment, plain pg clients standing in for the application, and the two proofs
 * of "nothing changed": pg_dump's table definition and a hash of the rows.
 */

const running = new Set<ChildProcess>();

let snapshot: string | undefined;

/**
 * A private copy of dist/: other suites rebuild dist/ while ours spawns the CLI for minutes, and
 * a half-written module would fail a run for nothing. Taken once per test file, at its first run.
 */
function cliPath(): string {
	if (!snapshot) {
		snapshot = mkdtempSync(join(tmpdir(), 'zdm-reliability-'));
		cpSync('dist', join(snapshot, 'dist'), {recursive: true});
		copyFileSync('package.json', join(snapshot, 'package.json'));
		symlinkSync(resolve('node_modules'), join(snapshot, 'node_modules'));
	}

	return join(snapshot, 'dist', 'cli.js');
}

export interface CliProcess {
	child: ChildProcess;
	/** Every stdout line so far. */
	lines: string[];
	stderr(): string;
	/** Resolves with the first line (already read or still to come) that matches. */
	waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
	/** Resolves with the exit code, or the signal's name when killed. */
	exited: Promise<number | string>;
}

/** Spawn dist/cli.js (built by the global setup) with no terminal. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
	const child = spawn(process.execPath, [cliPath(), ...args], {env: {...process.env, DATABASE_URL: undefined, CI: 'true', ...env}, stdio: ['ignore', 'pipe', 'pipe']});
	running.add(child);
	const lines: string[] = [];
	let partial = '';
	let stderr = '';
	const waiters: Array<{match: (line: string) => boolean; resolve: (line: string) => void}> = [];
	child.stdout!.setEncoding('utf8');
	child.stdout!.on('data', (chunk: string) => {
		const parts = (partial + chunk).split('\n');
		partial = parts.pop()!;
		for (const line of parts) {
			if (!line) continue;
			lines.push(line);
			for (const waiter of waiters.filter(w => w.match(line))) {
				waiters.splice(waiters.indexOf(waiter), 1);
				waiter.resolve(line);
			}
		}
	});
	child.stderr!.on('data', chunk => (stderr += String(chunk)));
	const exited = new Promise<number | string>(resolve => {
		child.on('close', (code, signal) => {
			running.delete(child);
			if (partial) lines.push(partial);
			resolve(code ?? signal ?? -1);
		});
	});
	return {
		child,
		lines,
		stderr: () => stderr,
		exited,
		async waitForLine(match, timeoutMs = 30_000) {
			const seen = lines.find(match);
			if (seen) return seen;
			return new Promise<string>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms; got ${lines.length} lines, stderr: ${stderr}`)), timeoutMs);
				const waiter = {
					match,
					resolve(line: string) {
						clearTimeout(timer);
						resolve(line);
					},
				};
				waiters.push(waiter);
				void exited.then(() => {
					if (!waiters.includes(waiter)) return;
					clearTimeout(timer);
					reject(new Error(`the CLI exited before a matching line; stderr: ${stderr}`));
				});
			});
		},
	};
}

/** Run the CLI to its end. */
export async function runToEnd(args: string[]) {
	const cli = startCli(args);
	const code = await cli.exited;
	return {code, lines: cli.lines, stderr: cli.stderr(), last: () => JSON.parse(cli.lines.at(-1)!) as Record<string, unknown>};
}

/** kill -9, and wait until the process is gone. */
export async function kill9(cli: CliProcess): Promise<void> {
	cli.child.kill('SIGKILL');
	await cli.exited;
}

/**
 * For the file's last afterAll: no child outlives its test file, and the copy of dist/ goes.
 * (Once per file: a second copy could catch another suite's rebuild half-way.)
 */
export async function killStragglers(): Promise<void> {
	for (const child of running) child.kill('SIGKILL');
	await new Promise(resolve => setTimeout(resolve, 50));
	if (snapshot) rmSync(snapshot, {recursive: true, force: true});
	snapshot = undefined;
}

/** A JSON event line of the given type (and step number). */
export function isEvent(type: string, step?: number) {
	return (line: string) => {
		try {
			const event = JSON.parse(line) as {type?: string; step?: {number?: number}};
			return event.type === type && (step === undefined || event.step?.number === step);
		} catch {
			return false;
		}
	};
}

/**
 * A database of its own on the shared server for one describe block, and a client of the test's
 * "application" on it; stragglers killed, client closed and database dropped after the block.
 */
export function useServerDatabase(ready: (server: {url: string; app: pg.Client}) => void): void {
	let app: pg.Client | undefined;
	let drop: (() => Promise<void>) | undefined;
	beforeAll(async () => {
		const created = await createServerDatabase();
		drop = created.drop;
		app = await connect(created.url);
		ready({url: created.url, app});
	});
	afterAll(async () => {
		await killStragglers();
		await app?.end();
		await drop?.();
	});
}

export async function connect(url: string): Promise<pg.Client> {
	const client = new pg.Client({connectionString: url, application_name: 'reliability-test'});
	client.on('error', () => {});
	await client.connect();
	return client;
}

/** The demo table, recreated: ids 1..rows, deterministic usernames and emails. */
export async function seed(client: pg.Client, rows: number): Promise<void> {
	await client.query(resetMigrationsSql);
	await client.query('DROP TABLE IF EXISTS users CASCADE');
	await client.query('CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL, email text)');
	await client.query("INSERT INTO users (username, email) SELECT 'user' || g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'user' || g || '@example.com' END FROM generate_series(1, $1::int) g", [rows]);
	await client.query('ANALYZE users');
}

/**
 * A plan's steps as zdm compiles them against the table the client sees, so a test names a step
 * by what it does (the backfill, its verify, the contract) instead of a number that shifts
 * whenever the compiler adds a step.
 */
export async function compiledSteps(client: pg.Client, plan: string): Promise<Step[]> {
	const catalog = await readCatalog({
		query: async (sql, params) => {
			const result = await client.query(sql, params);
			return {rows: result.rows, rowCount: result.rowCount ?? 0};
		},
		script: async sql => {
			await client.query(sql);
		},
	});
	return compilePlan(readPlanFile(plan), catalog).plan.steps;
}

/** The number of a plan's only step of the kind (for the contract: its last step). */
export function stepNumber(steps: Step[], kind: Step['kind'] | 'contract'): number {
	if (kind === 'contract') return steps.at(-1)!.number;
	const found = steps.filter(step => step.kind === kind);
	if (found.length !== 1) throw new Error(`expected one ${kind} step, found ${found.length}`);
	return found[0]!.number;
}

/** md5 of the rows in key order, with the given column list (e.g. the email under either name). */
export async function rowsHash(client: pg.Client, columns: string): Promise<string> {
	const {rows} = await client.query<{hash: string; count: string}>(`SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.id)) AS hash, count(*) AS count FROM (SELECT ${columns} FROM users) t`);
	return `${rows[0]!.count}:${rows[0]!.hash}`;
}

export async function columnsOf(client: pg.Client, table = 'users'): Promise<string[]> {
	const {rows} = await client.query<{name: string}>(
		"SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
		[table],
	);
	return rows.map(row => row.name);
}

export async function migrationPhase(client: pg.Client, id: string): Promise<string | undefined> {
	const {rows} = await client.query<{phase: string}>("SELECT phase FROM zdm.migrations WHERE id = $1", [id]).catch(() => ({rows: []}));
	return rows[0]?.phase;
}

const pgDumpPath = () => {
	const bin = findPgBin();
	const path = bin && join(bin, 'pg_dump');
	return path && existsSync(path) ? path : undefined;
};

export const hasPgDump = () => pgDumpPath() !== undefined;

/** The table's definition exactly as `pg_dump --schema-only -t TABLE` prints it. */
export async function pgDumpDefinition(url: string, table = 'users'): Promise<string> {
	const {stdout} = await promisify(execFile)(pgDumpPath()!, ['--schema-only', '--no-owner', '-t', table, '-d', url], {maxBuffer: 16 * 1024 * 1024});
	// The header names the versions, and \restrict carries a random key per dump: neither is the table.
	return stdout.replace(/^-- Dumped (from|by) .*$/gm, '').replace(/^\\(un)?restrict .*$/gm, '');
}

/** The whole schema (every table, function, trigger, sequence) as `pg_dump --schema-only -n SCHEMA` prints it. */
export async function pgDumpSchema(url: string, schema = 'public'): Promise<string> {
	const {stdout} = await promisify(execFile)(pgDumpPath()!, ['--schema-only', '--no-owner', '-n', schema, '-d', url], {maxBuffer: 16 * 1024 * 1024});
	return stdout.replace(/^-- Dumped (from|by) .*$/gm, '').replace(/^\\(un)?restrict .*$/gm, '');
}

/**
 * The table's definition by pg_dump. Without pg_dump, only its column names: a weaker proof a
 * local run may fall back to (the global setup warned), and a failure under CI.
 */
export async function definitionOrColumns(url: string, app: pg.Client, table = 'users'): Promise<string> {
	if (hasPgDump()) return pgDumpDefinition(url, table);
	if (inject('ci')) throw new Error('pg_dump is missing and CI=true: comparing column names only is not a proof CI may accept');
	return (await columnsOf(app, table)).join(',');
}

export const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The server notices a killed client at once; wait for its backends to go before resuming. */
export async function zdmGone(client: pg.Client): Promise<void> {
	for (let i = 0; i < 100; i++) {
		const {rows} = await client.query<{n: number}>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'zdm-tui' AND datname = current_database()");
		if (rows[0]!.n === 0) return;
		await sleep(50);
	}

	throw new Error('zdm-tui backends still connected 5 s after kill -9');
}
