import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {openPostgres} from '../../source/db/postgres.js';
import {seedUsers} from '../../source/db/seed.js';
import {lastJson, runCli, type CliResult} from '../support/cli.js';
import {backends, createServerDatabase} from '../support/databases.js';
import {rowHashes, schemaLines} from '../support/exact.js';
import {hasPgDump, pgDumpDatabase} from '../support/pg-dump.js';

/**
 * `zdm-tui migrate DIR` (#11) through the real CLI, on PGlite (--data-dir) and on a server: a
 * chain of YAML, JSON and SQL files, a rerun, the three refusals and a lint error (each exit 2,
 * one line naming the file, and the database exactly as before), --complete, `latest` from the
 * database and from the files, and `status` showing the chain.
 */

const files: Record<string, string> = {
	'001_add_nickname.yaml': 'operations:\n  - add_column:\n      table: users\n      column: {name: nickname, type: text, nullable: true}\n      up: initcap(username)\n',
	'002_rename_email.json': '{"operations": [{"rename_column": {"table": "users", "from": "email", "to": "contact_email"}}]}\n',
	'003_nickname_index.sql': "-- look users up by nickname\nCREATE INDEX users_nickname_idx ON users (nickname);\nALTER TABLE users ALTER COLUMN nickname SET DEFAULT 'anon';\n",
};

function expectOneLineError(result: CliResult, pattern: RegExp) {
	expect(result.code, result.stderr).toBe(2);
	const lines = result.stderr.replace(/\n$/, '').split('\n');
	expect(lines, result.stderr).toHaveLength(1);
	expect(lines[0]).toMatch(pattern);
}

describe.each(backends())('zdm-tui migrate DIR on %s', backend => {
	const dir = mkdtempSync(join(tmpdir(), 'zdm-chain-'));
	const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
	let where: string[];
	let url: string | undefined;
	let dataDir: string | undefined;
	let drop: (() => Promise<void>) | undefined;

	beforeAll(async () => {
		for (const [name, text] of Object.entries(files)) write(name, text);
		if (backend === 'server') {
			const created = await createServerDatabase();
			({url, drop} = created);
			where = ['--database-url', url];
		} else {
			dataDir = mkdtempSync(join(tmpdir(), 'zdm-chain-data-'));
			where = ['--data-dir', dataDir];
		}

		await withDb(async db => seedUsers(db, {rows: 300}));
	});

	afterAll(async () => {
		await drop?.();
		rmSync(dir, {recursive: true, force: true});
		if (dataDir) rmSync(dataDir, {recursive: true, force: true});
	});

	/** The database in this process, closed again before the CLI opens it. */
	async function withDb<T>(work: (db: Database) => Promise<T>): Promise<T> {
		const db = url ? await openPostgres(url) : await openPglite({dataDir});
		try {
			return await work(db);
		} finally {
			await db.close();
		}
	}

	const cli = async (...args: string[]) => runCli([...args, ...where]);
	const migrate = async (...extra: string[]) => cli('migrate', dir, '--yes', '--json', ...extra);

	/** Everything a run could change: every schema, the public tables' rows, zdm's own records (and pg_dump of it all, on a server). */
	const everything = async () =>
		withDb(async db => ({
			schemas: (await db.query<{name: string}>("SELECT nspname AS name FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1")).rows.map(row => row.name),
			public: await schemaLines(db),
			rows: await rowHashes(db),
			migrations: (await db.query("SELECT to_jsonb(m) AS row FROM zdm.migrations m ORDER BY id").catch(() => ({rows: []}))).rows,
			steps: (await db.query('SELECT migration_id, number, status, updated_at FROM zdm.steps ORDER BY 1, 2').catch(() => ({rows: []}))).rows,
			history: (await db.query('SELECT count(*)::int AS n FROM zdm.history').catch(() => ({rows: []}))).rows,
			holder: (await db.query('SELECT * FROM zdm.holder').catch(() => ({rows: []}))).rows,
			...(url && hasPgDump() ? {dump: await pgDumpDatabase(url)} : {}),
		}));

	const chain = async () =>
		withDb(async db => (await db.query<{id: string; phase: string; parent: string | null; source_file: string}>('SELECT id, phase, parent, source_file FROM zdm.migrations ORDER BY started_at, id')).rows);

	it('applies a chain of YAML, JSON and SQL files in name order: all but the last COMPLETE, the last started, each recording its parent', async () => {
		const result = await migrate();
		expect(result.code, result.stderr).toBe(0);
		const opened = result.lines.map(line => JSON.parse(line) as {type: string; migration?: string; target?: string}).filter(event => event.type === 'migration');
		expect(opened.map(event => [event.migration, event.target])).toEqual([
			['001_add_nickname', 'complete'],
			['002_rename_email', 'complete'],
			['003_nickname_index', 'started'],
		]);
		expect(lastJson(result)).toMatchObject({type: 'summary', phase: 'EXPANDING', versionSchema: 'public_003_nickname_index'});
		expect(await chain()).toEqual([
			{id: '001_add_nickname', phase: 'COMPLETE', parent: null, source_file: '001_add_nickname.yaml'},
			{id: '002_rename_email', phase: 'COMPLETE', parent: '001_add_nickname', source_file: '002_rename_email.json'},
			{id: '003_nickname_index', phase: 'EXPANDING', parent: '002_rename_email', source_file: '003_nickname_index.sql'},
		]);
		await withDb(async db => {
			// 001 filled every row, 002 renamed the column, 003's .sql became create_index and alter_column.
			const {rows} = await db.query<{wrong: number}>('SELECT count(*)::int AS wrong FROM users WHERE nickname IS DISTINCT FROM initcap(username)');
			expect(rows[0]!.wrong).toBe(0);
			const columns = await db.query<{name: string}>("SELECT attname AS name FROM pg_attribute WHERE attrelid = 'public.users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum");
			expect(columns.rows.map(row => row.name)).toEqual(['id', 'username', 'contact_email', 'nickname']);
			const index = await db.query("SELECT 1 FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'users_nickname_idx'");
			expect(index.rows).toHaveLength(1);
			// Started: the new version's view already has the default; the table gets it at contract.
			const inserted = await db.query<{nickname: string}>('INSERT INTO "public_003_nickname_index".users (username) VALUES ($1) RETURNING nickname', ['viewer']);
			expect(inserted.rows[0]!.nickname).toBe('anon');
			await db.query("DELETE FROM users WHERE username = 'viewer'");
		});
	});

	it('a rerun with nothing pending changes nothing and exits 0', async () => {
		const before = await everything();
		const result = await cli('migrate', dir, '--yes');
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout).toMatch(/nothing to migrate on .*: 3 migrations applied, the last \(003_nickname_index\) EXPANDING/);
		expect(await everything()).toEqual(before);
	});

	it('latest names the same version schema from the database and from the files alone', async () => {
		const fromDatabase = await cli('latest', '--json');
		expect(lastJson(fromDatabase)).toEqual({schema: 'public_003_nickname_index', migration: '003_nickname_index', phase: 'EXPANDING'});
		// --local opens no database: an unreachable URL does not matter.
		const local = await runCli(['latest', '--local', dir, '--json', '--database-url', 'postgres://nobody@127.0.0.1:1/none']);
		expect(local.code, local.stderr).toBe(0);
		expect(lastJson(local)).toEqual({schema: 'public_003_nickname_index', migration: '003_nickname_index', local: true});
		expect((await runCli(['latest', '--local', dir])).stdout).toBe('public_003_nickname_index\n');
	});

	it('accepts an applied file laid out anew, but refuses one whose meaning changed, naming it', async () => {
		const before = await everything();
		write('002_rename_email.json', '{\n  "operations": [\n    {"rename_column": {"to": "contact_email", "from": "email", "table": "users"}}\n  ]\n}\n');
		expect((await migrate()).code).toBe(0);
		write('002_rename_email.json', '{"operations": [{"rename_column": {"table": "users", "from": "email", "to": "mail"}}]}\n');
		expectOneLineError(await migrate(), new RegExp(`^zdm-tui: ${dir}/002_rename_email\\.json: migration 002_rename_email was applied from a different version of this file — restore`));
		write('002_rename_email.json', files['002_rename_email.json']!);
		expect(await everything()).toEqual(before);
	});

	it('refuses an applied migration whose file is gone, naming the file, and changes nothing', async () => {
		const before = await everything();
		rmSync(join(dir, '002_rename_email.json'));
		expectOneLineError(await migrate(), new RegExp(`^zdm-tui: ${dir}/002_rename_email\\.json: the file of applied migration 002_rename_email is gone — restore it`));
		write('002_rename_email.json', files['002_rename_email.json']!);
		expect(await everything()).toEqual(before);
	});

	it('refuses a new file that sorts before an applied one, naming it, and changes nothing', async () => {
		const before = await everything();
		write('0025_drop_nickname.yaml', 'operations:\n  - drop_column: {table: users, column: nickname}\n');
		expectOneLineError(await migrate(), new RegExp(`^zdm-tui: ${dir}/0025_drop_nickname\\.yaml is new but sorts before ${dir}/003_nickname_index\\.sql, which is applied already — rename it`));
		rmSync(join(dir, '0025_drop_nickname.yaml'));
		expect(await everything()).toEqual(before);
	});

	it('lints every pending file first: an error in the last stops the run before the first change', async () => {
		const before = await everything();
		write('004_not_null.sql', 'ALTER TABLE users ALTER COLUMN nickname SET NOT NULL;\n');
		write('005_touch.sql', "UPDATE users SET nickname = 'x';\n");
		expectOneLineError(await migrate(), new RegExp(`^zdm-tui: ${dir}/005_touch\\.sql: lint sql-without-down: `));
		rmSync(join(dir, '005_touch.sql'));
		expect(await everything()).toEqual(before);
	});

	it('--complete runs the started migration and every pending one to COMPLETE', async () => {
		const result = await migrate('--complete');
		expect(result.code, result.stderr).toBe(0);
		const opened = result.lines.map(line => JSON.parse(line) as {type: string; migration?: string; resumed?: boolean; target?: string}).filter(event => event.type === 'migration');
		expect(opened).toMatchObject([
			{migration: '003_nickname_index', resumed: true, target: 'complete'},
			{migration: '004_not_null', resumed: false, target: 'complete'},
		]);
		expect((await chain()).map(row => [row.id, row.phase, row.parent])).toEqual([
			['001_add_nickname', 'COMPLETE', null],
			['002_rename_email', 'COMPLETE', '001_add_nickname'],
			['003_nickname_index', 'COMPLETE', '002_rename_email'],
			['004_not_null', 'COMPLETE', '003_nickname_index'],
		]);
		await withDb(async db => {
			const {rows} = await db.query<{notnull: boolean; default: string}>("SELECT attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS default FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = 'public.users'::regclass AND a.attname = 'nickname'");
			expect(rows[0]).toEqual({notnull: true, default: "'anon'::text"});
			// Only the newest version schema is left: each contract dropped the one before.
			const schemas = await db.query<{name: string}>("SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'public\\_%' ORDER BY 1");
			expect(schemas.rows.map(row => row.name)).toEqual(['public_004_not_null']);
		});
		const again = await migrate('--complete');
		expect(lastJson(again)).toEqual({type: 'summary', migrations: [], applied: 4, latest: '004_not_null', phase: 'COMPLETE'});
	});

	it('a migration that fails is rolled back, the ones before it stay COMPLETE, and a rerun with the file fixed goes on from it', async () => {
		const before = await everything();
		write('005_fails.yaml', "operations:\n  - sql: {up: 'CREATE TABLE audit (id int); SELECT 1 / 0', down: 'DROP TABLE audit'}\n");
		write('006_after.yaml', 'operations:\n  - alter_column: {table: users, column: nickname, default: null}\n');
		const failed = await migrate('--complete');
		expect(failed.code, failed.stderr).toBe(1);
		expect(lastJson(failed)).toMatchObject({migrations: [{id: '005_fails', phase: 'ROLLED_BACK'}], error: expect.stringMatching(/^migration 005_fails failed and was rolled back \(.*division by zero.*\); the ones before it stay applied$/)});
		// The schema, pg_dump and rows as before; only zdm's records of the attempt are new.
		const zdmRecords = {migrations: undefined, steps: undefined, history: undefined, holder: undefined};
		expect({...(await everything()), ...zdmRecords}).toEqual({...before, ...zdmRecords});
		write('005_fails.yaml', "operations:\n  - sql: {up: 'CREATE TABLE audit (id int)', down: 'DROP TABLE audit'}\n");
		const fixed = await migrate('--complete');
		expect(fixed.code, fixed.stderr).toBe(0);
		expect((await chain()).slice(-2)).toEqual([
			{id: '005_fails', phase: 'COMPLETE', parent: '004_not_null', source_file: '005_fails.yaml'},
			{id: '006_after', phase: 'COMPLETE', parent: '005_fails', source_file: '006_after.yaml'},
		]);
	});

	it('status shows the chain: phase, version schema, started, completed, each phase\'s time and the parent', async () => {
		const text = await cli('status');
		expect(text.stdout).toMatch(/^003_nickname_index\s+COMPLETE\s+100 %.*\[version schema public_003_nickname_index\]\n\s+started \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ · completed \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ · expand \d+ ms · migrate \d+ ms · contract \d+ ms · after 002_rename_email$/m);
		const json = JSON.parse((await cli('status', '--json')).stdout) as {migrations: Array<{id: string; parent?: string; phaseMs: Record<string, number>; completedAt?: string}>};
		expect(json.migrations.map(m => [m.id, m.parent ?? null])).toEqual([
			['001_add_nickname', null],
			['002_rename_email', '001_add_nickname'],
			['003_nickname_index', '002_rename_email'],
			['004_not_null', '003_nickname_index'],
			['005_fails', '004_not_null'],
			['006_after', '005_fails'],
		]);
		// 001 backfilled 300 rows: its migrate phase took time, and every phase is accounted for.
		expect(json.migrations[0]!.phaseMs).toEqual({expand: expect.any(Number), migrate: expect.any(Number), contract: expect.any(Number)});
		expect(json.migrations[0]!.phaseMs.migrate).toBeGreaterThan(0);
		expect(json.migrations.every(m => m.completedAt)).toBe(true);
	});
});

describe('zdm-tui convert', () => {
	it('prints the plan of a .sql file as YAML, exit 0, with raw statements and their lint findings as comments', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'zdm-convert-'));
		const path = join(dir, '007_mixed.sql');
		writeFileSync(path, "ALTER TABLE users ADD COLUMN bio text;\nTRUNCATE users;\n");
		const result = await runCli(['convert', path]);
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout).toContain('  - add_column:\n      table: users\n      column:\n        name: bio\n        type: text\n        nullable: true\n');
		expect(result.stdout).toMatch(/# line 2: kept as raw sql\n\s+# lint error truncate-table: .*\n.*\n\s+- sql:\n\s+up: TRUNCATE users\n/);
		const json = await runCli(['convert', path, '--json']);
		expect(JSON.parse(json.stdout)).toEqual({operations: [{add_column: {table: 'users', column: {name: 'bio', type: 'text', nullable: true}}}, {sql: {up: 'TRUNCATE users'}}]});
		writeFileSync(path, 'ALTER TABLE users ADD COLUMN;\n');
		expectOneLineError(await runCli(['convert', path]), new RegExp(`^zdm-tui: ${path}:1:29: not valid SQL: syntax error at or near ";" — fix`));
		rmSync(dir, {recursive: true, force: true});
	});
});

describe('zdm-tui migrate DIR --schema app', () => {
	it('applies the chain to that schema\'s tables, records it as that schema\'s history, and names its version schemas after it', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'zdm-chain-app-'));
		const dataDir = mkdtempSync(join(tmpdir(), 'zdm-chain-app-data-'));
		for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
		try {
			const where = ['--schema', 'app', '--data-dir', dataDir, '--rows', '50'];
			const result = await runCli(['migrate', dir, '--yes', '--json', ...where]);
			expect(result.code, result.stderr).toBe(0);
			expect(lastJson(result)).toMatchObject({phase: 'EXPANDING', versionSchema: 'app_003_nickname_index'});
			expect(lastJson(await runCli(['latest', '--json', ...where]))).toMatchObject({schema: 'app_003_nickname_index'});
			expect((await runCli(['latest', '--local', dir, '--schema', 'app'])).stdout).toBe('app_003_nickname_index\n');
			const db = await openPglite({dataDir});
			try {
				const {rows} = await db.query<{schema: string; name: string}>("SELECT table_schema AS schema, column_name AS name FROM information_schema.columns WHERE table_name = 'users' AND table_schema IN ('public', 'app') AND column_name IN ('nickname', 'contact_email', 'email') ORDER BY 1, 2");
				expect(rows).toEqual([{schema: 'app', name: 'contact_email'}, {schema: 'app', name: 'nickname'}]);
				const history = await db.query<{id: string; schema: string}>('SELECT id, base_schema AS schema FROM zdm.migrations ORDER BY started_at');
				expect(history.rows.map(row => row.schema)).toEqual(['app', 'app', 'app']);
			} finally {
				await db.close();
			}

			// The rerun reads app's history: nothing pending.
			expect(lastJson(await runCli(['migrate', dir, '--yes', '--json', ...where]))).toMatchObject({migrations: [], applied: 3});
		} finally {
			rmSync(dir, {recursive: true, force: true});
			rmSync(dataDir, {recursive: true, force: true});
		}
	});
});

/** pgroll's files use operations whose SQL the parser reads (create_table, sql): migrate must load it, as run does. */
describe.each(backends())('zdm-tui migrate samples/pgroll on %s', backend => {
	it('runs the whole pgroll-style chain from an empty database to COMPLETE with default flags', async () => {
		const created = backend === 'server' ? await createServerDatabase() : undefined;
		const dataDir = created ? undefined : mkdtempSync(join(tmpdir(), 'zdm-pgroll-data-'));
		try {
			const where = created ? ['--database-url', created.url] : ['--data-dir', dataDir!];
			const result = await runCli(['migrate', 'samples/pgroll', '--complete', '--yes', '--json', ...where]);
			expect(result.code, result.stderr).toBe(0);
			const summary = lastJson(result) as {migrations: Array<{id: string; phase: string}>};
			const files = readdirSync('samples/pgroll').map(name => name.replace(/\.[^.]+$/, ''));
			expect(summary.migrations.map(migration => [migration.id, migration.phase])).toEqual(files.map(id => [id, 'COMPLETE']));
		} finally {
			await created?.drop();
			if (dataDir) rmSync(dataDir, {recursive: true, force: true});
		}
	});
});
