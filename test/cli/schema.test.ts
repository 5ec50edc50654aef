import {cpSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {readPlanFile} from '../../source/core/plan-file.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {openPostgres} from '../../source/db/postgres.js';
import {seedUsers} from '../../source/db/seed.js';
import {lastJson, runCli, type CliResult} from '../support/cli.js';
import {backends, createServerDatabase, serverUrl, type Backend} from '../support/databases.js';
import {rowHashes, schemaLines} from '../support/exact.js';
import {hasPgDump, pgDumpSchema} from '../support/pg-dump.js';
import {resetMigrationsSql} from '../support/reset.js';

/*
 * --schema app: every sample changes the tables of schema `app` only, under a version schema
 * named app_<id>, while `public` holds a users table of the same name that nothing touches. Run
 * through the built CLI, on PGlite (a data directory copied afresh for each test) and on a server.
 */

const samples = readdirSync('samples')
	.filter(name => /\.(ya?ml|json)$/.test(name))
	.map(name => `samples/${name}`);

// The lint errors the unsafe samples trip on purpose, acknowledged as a user would.
const unsafeAllowed = [
	'add-column-generated',
	'add-column-volatile-default',
	'constraint-without-not-valid',
	'contract-without-expand',
	'lock-timeout',
	'narrowing-type-change',
	'rename-or-drop-outside-contract',
	'require-concurrent-index',
	'set-not-null-without-check',
	'type-change-rewrite',
	'unique-without-using-index',
	'work-after-access-exclusive',
].flatMap(rule => ['--allow', rule]);
const allowFor = (path: string) => (path.includes('/unsafe-') ? unsafeAllowed : []);

/*
 * unsafe-raw-sql.yaml renames username in its raw SQL while its version schema still shows it,
 * so it ends in a rollback at step 2 on any schema (on public as well). What matters here: its
 * raw SQL ran against app.users (step 1 executed; on public.users the view would have been made).
 */
const rollsBackByItself = 'samples/unsafe-raw-sql.yaml';

const scratch = mkdtempSync(join(tmpdir(), 'zdm-schema-'));
const planFile = (name: string, text: string) => {
	const path = join(scratch, name);
	writeFileSync(path, text);
	return path;
};

/** Where the CLI runs: its flags, a fresh start, and a look inside between commands. */
interface Place {
	args(): string[];
	/** public.users (30 rows) and app.users (50 rows), no zdm state. */
	reset(): Promise<void>;
	read<T>(work: (db: Database) => Promise<T>): Promise<T>;
	/** pg_dump --schema-only -n SCHEMA, on a server. */
	dump(schema: string): Promise<string | undefined>;
	close(): Promise<void>;
}

async function seedBoth(db: Database) {
	await seedUsers(db, {rows: 28, force: true});
	await seedUsers(db, {rows: 48, schema: 'app'});
}

async function openPlace(backend: Backend): Promise<Place> {
	if (backend === 'pglite') {
		const base = join(scratch, 'base');
		const db = await openPglite({dataDir: base});
		await seedBoth(db);
		await db.close();
		let dir = base;
		return {
			args: () => ['--data-dir', dir],
			async reset() {
				dir = mkdtempSync(join(scratch, 'pglite-'));
				cpSync(base, dir, {recursive: true});
			},
			async read(work) {
				const opened = await openPglite({dataDir: dir});
				try {
					return await work(opened);
				} finally {
					await opened.close();
				}
			},
			dump: async () => undefined,
			async close() {},
		};
	}

	const created = await createServerDatabase();
	const db = await openPostgres(created.url);
	return {
		args: () => ['--database-url', created.url],
		async reset() {
			await db.query(resetMigrationsSql);
			await seedBoth(db);
		},
		read: async work => work(db),
		dump: async schema => (hasPgDump() ? pgDumpSchema(created.url, [schema]) : undefined),
		async close() {
			await db.close();
			await created.drop();
		},
	};
}

interface SchemaSnapshot {
	lines: string[];
	rows: string[];
	dump?: string;
}

async function snapshot(place: Place, schema: string): Promise<SchemaSnapshot> {
	const [lines, rows] = await place.read(async db => [await schemaLines(db, schema), await rowHashes(db, schema)]);
	return {lines, rows, dump: await place.dump(schema)};
}

/** Every schema but PostgreSQL's own. */
const schemas = async (place: Place) =>
	place.read(async db => (await db.query<{name: string}>("SELECT nspname AS name FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1")).rows.map(row => row.name));

const stored = async (place: Place, id: string) =>
	place.read(async db => (await db.query<{phase: string; base_schema: string; version_schema: string}>('SELECT phase, base_schema, version_schema FROM zdm.migrations WHERE id = $1', [id])).rows[0]);

const events = (result: CliResult) => result.lines.map(line => JSON.parse(line) as {type: string; step?: {number: number}; phase?: string; error?: string});

function expectOneLineError(result: CliResult, code: number, pattern: RegExp) {
	expect(result.code, result.stderr).toBe(code);
	const lines = result.stderr.replace(/\n$/, '').split('\n');
	expect(lines, result.stderr).toHaveLength(1);
	expect(lines[0]).toMatch(pattern);
}

describe.each(backends())('--schema app on %s', backend => {
	let place: Place;
	beforeAll(async () => {
		place = await openPlace(backend);
	});
	afterAll(async () => place?.close());

	const cli = async (...args: string[]) => runCli([...args, ...place.args()]);

	for (const path of samples) {
		const {id} = readPlanFile(path);
		it(`${path}: run changes schema app only, under version schema app_${id}`, async () => {
			await place.reset();
			const before = {public: await snapshot(place, 'public'), app: await snapshot(place, 'app')};
			const run = await cli('run', path, '--yes', '--json', '--schema', 'app', ...allowFor(path));
			const after = {public: await snapshot(place, 'public'), app: await snapshot(place, 'app')};
			expect(after.public, 'public untouched').toEqual(before.public);
			if (path === rollsBackByItself) {
				expect(run.code, run.stderr).toBe(1);
				expect(events(run).filter(event => event.type === 'step-executed').map(event => event.step?.number)).toEqual([1]);
				expect(lastJson(run)).toMatchObject({id, phase: 'ROLLED_BACK', error: expect.stringContaining('column "username" does not exist')});
				expect(after.app, 'app exactly as before').toEqual(before.app);
				expect(await schemas(place)).toEqual(['app', 'public', 'zdm']);
				return;
			}

			expect(run.code, run.stderr).toBe(0);
			expect(lastJson(run)).toMatchObject({id, phase: 'COMPLETE', progress: 100});
			expect(after.app.lines, 'the table in app changed').not.toEqual(before.app.lines);
			expect(await stored(place, id)).toEqual({phase: 'COMPLETE', base_schema: 'app', version_schema: `app_${id}`});
			expect(await schemas(place)).toEqual(['app', `app_${id}`, 'public', 'zdm']);
			// The new application's view reads app's rows, not public's.
			const viewed = await place.read(async db => (await db.query<{n: number}>(`SELECT count(*)::int AS n FROM "app_${id}".users`)).rows[0]!.n);
			expect(viewed).toBe(50);
		});

		if (path === rollsBackByItself) continue;
		it(`${path}: start, then rollback, leaves schema app exactly as before`, async () => {
			await place.reset();
			const before = {public: await snapshot(place, 'public'), app: await snapshot(place, 'app')};
			const start = await cli('start', path, '--yes', '--json', '--schema', 'app', ...allowFor(path));
			expect(start.code, start.stderr).toBe(0);
			expect(await stored(place, id)).toMatchObject({base_schema: 'app', version_schema: `app_${id}`});
			expect(await schemas(place)).toContain(`app_${id}`);
			const started = lastJson(start) as {phase: string; steps: unknown[]};
			// A plan with nothing to contract is COMPLETE after start: its rollback is a failure at its last step.
			const rollback = started.phase === 'COMPLETE'
				? await (async () => {
					await place.reset();
					return cli('run', path, '--yes', '--json', '--schema', 'app', '--fail-at', String(started.steps.length), ...allowFor(path));
				})()
				: await cli('rollback', id, '--yes', '--json', '--schema', 'app');
			expect(rollback.code, rollback.stderr).toBe(started.phase === 'COMPLETE' ? 1 : 0);
			expect(lastJson(rollback)).toMatchObject({id, phase: 'ROLLED_BACK', progress: 0});
			expect(await snapshot(place, 'app'), 'app exactly as before').toEqual(before.app);
			expect(await snapshot(place, 'public'), 'public untouched').toEqual(before.public);
			expect(await schemas(place)).toEqual(['app', 'public', 'zdm']);
		});
	}

	it('raw SQL names the tables of --schema: a column added by an sql operation lands in app.users, not public.users', async () => {
		await place.reset();
		const before = await snapshot(place, 'public');
		const plan = planFile('raw.yaml', 'id: RAW-1\noperations:\n  - sql:\n      up: ALTER TABLE users ADD COLUMN note text\n      down: ALTER TABLE users DROP COLUMN note\n');
		const run = await cli('run', plan, '--yes', '--json', '--schema', 'app');
		expect(run.code, run.stderr).toBe(0);
		expect(lastJson(run)).toMatchObject({phase: 'COMPLETE'});
		expect((await snapshot(place, 'app')).lines).toContain('column users #4 note text');
		expect(await snapshot(place, 'public')).toEqual(before);
	});

	it('status and latest answer for the schema asked about', async () => {
		await place.reset();
		const run = await cli('run', 'samples/add-display-name.yaml', '--yes', '--schema', 'app');
		expect(run.code, run.stderr).toBe(0);
		expect((await cli('latest', '--schema', 'app')).stdout.trim()).toBe('app_MIG-001');
		expect(JSON.parse((await cli('latest', '--schema', 'app', '--json')).stdout)).toEqual({schema: 'app_MIG-001', migration: 'MIG-001', phase: 'COMPLETE'});
		// public has no migration of its own: its applications stay on the base schema.
		expect((await cli('latest')).stdout.trim()).toBe('public');
		const inApp = JSON.parse((await cli('status', '--json', '--schema', 'app')).stdout) as {migrations: unknown[]};
		expect(inApp.migrations).toEqual([expect.objectContaining({id: 'MIG-001', schema: 'app', versionSchema: 'app_MIG-001', phase: 'COMPLETE'})]);
		expect((JSON.parse((await cli('status', '--json', '--schema', 'public')).stdout) as {migrations: unknown[]}).migrations).toEqual([]);
		const all = await cli('status');
		expect(all.stdout).toMatch(/^MIG-001\s+COMPLETE\s+100 %.*\[schema app, version schema app_MIG-001\]$/m);
		expect((await cli('status', '--schema', 'public')).stdout).toMatch(/^no migrations in schema public on /);
	});

	it('the simulated v1 uses app and v2 app_MIG-002: both error-free, and public\'s rows untouched', async () => {
		await place.reset();
		const before = {public: await snapshot(place, 'public'), app: await snapshot(place, 'app')};
		const run = await cli('run', 'samples/rename-email.yaml', '--yes', '--json', '--schema', 'app', '--traffic', '100', '--wait-threshold', '60000');
		expect(run.code, run.stderr).toBe(0);
		const summary = lastJson(run) as {phase: string; traffic: {zeroDowntime: boolean; v1: {requests: number; errors: number}; v2: {requests: number; errors: number}}};
		expect(summary).toMatchObject({phase: 'COMPLETE', traffic: {zeroDowntime: true, v1: {errors: 0}, v2: {errors: 0}}});
		expect(summary.traffic.v1.requests).toBeGreaterThan(0);
		expect(summary.traffic.v2.requests).toBeGreaterThan(0);
		expect(await snapshot(place, 'public')).toEqual(before.public);
		expect((await snapshot(place, 'app')).rows, 'the traffic wrote to app.users').not.toEqual(before.app.rows);
	});

	it('a migration keeps its schema: complete or rollback with another --schema, or the same id in another schema, is refused and changes nothing', async () => {
		await place.reset();
		const start = await cli('start', 'samples/rename-email.yaml', '--yes', '--schema', 'app');
		expect(start.code, start.stderr).toBe(0);
		const before = {public: await snapshot(place, 'public'), app: await snapshot(place, 'app'), stored: await stored(place, 'MIG-002')};
		expectOneLineError(await cli('complete', 'MIG-002', '--yes', '--schema', 'public'), 2, /^zdm-tui: migration "MIG-002" changes schema "app", not "public" — drop --schema, or give --schema app$/);
		expectOneLineError(await cli('rollback', 'MIG-002', '--yes', '--schema', 'other'), 2, /changes schema "app", not "other"/);
		expectOneLineError(await cli('run', 'samples/rename-email.yaml', '--yes'), 2, /^zdm-tui: migration MIG-002 belongs to schema "app" \(EXPANDING\), not "public"; migration ids are unique per database — give the plan another id for schema "public", or run it with --schema app$/);
		// One active migration per database: another schema's plan waits for it, told which schema holds it.
		expectOneLineError(await cli('run', 'samples/add-display-name.yaml', '--yes'), 3, /^zdm-tui: migration MIG-002 is already active \(EXPANDING, \d+ %\) on this database, in schema "app" — finish it first/);
		expect({public: await snapshot(place, 'public'), app: await snapshot(place, 'app'), stored: await stored(place, 'MIG-002')}).toEqual(before);
		// Without --schema, complete takes the migration's own.
		const complete = await cli('complete', 'MIG-002', '--yes', '--json');
		expect(lastJson(complete)).toMatchObject({phase: 'COMPLETE'});
		expect((await snapshot(place, 'app')).lines).toContain('column users #3 contact_email text');
		expect(await snapshot(place, 'public')).toEqual(before.public);
	});

	it('refuses a schema it may not change, in one line, before touching anything', async () => {
		await place.reset();
		const before = await schemas(place);
		expectOneLineError(await cli('run', 'samples/rename-email.yaml', '--yes', '--schema', 'zdm'), 2, /^zdm-tui: --schema "zdm" is zdm's own state schema, not one whose tables zdm changes — /);
		expectOneLineError(await cli('status', '--schema', 'pg_catalog'), 2, /one of PostgreSQL's system schemas/);
		expectOneLineError(await cli('run', 'samples/rename-email.yaml', '--yes', '--schema', ''), 2, /^zdm-tui: --schema needs a schema name of 1 to 63 bytes, got an empty one — e\.g\. --schema app/);
		expect(await schemas(place)).toEqual(before);
	});
});

describe.skipIf(!serverUrl())('--schema naming a schema the server does not have', () => {
	let url: string;
	let drop: () => Promise<void>;
	beforeAll(async () => {
		({url, drop} = await createServerDatabase());
		const db = await openPostgres(url);
		await seedUsers(db, {rows: 10});
		await db.close();
	});
	afterAll(async () => drop());

	it.each([
		['run', 'samples/rename-email.yaml', '--yes'],
		['start', 'samples/rename-email.yaml', '--yes'],
		['plan', 'samples/rename-email.yaml'],
		['lint', 'samples/rename-email.yaml'],
		['latest'],
		['seed', '--yes'],
	])('%s: one line naming it and the fix, exit 2, nothing created', async (...args) => {
		const result = await runCli([...args, '--schema', 'nosuch', '--database-url', url]);
		expectOneLineError(result, 2, /^zdm-tui: schema "nosuch" does not exist on .+ — create it first \(CREATE SCHEMA "nosuch"\), or give the schema that holds your tables with --schema NAME$/);
		const db = await openPostgres(url);
		try {
			const {rows} = await db.query<{name: string}>("SELECT nspname AS name FROM pg_namespace WHERE nspname IN ('nosuch', 'zdm')");
			expect(rows).toEqual([]);
		} finally {
			await db.close();
		}
	});
});
