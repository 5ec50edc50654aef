import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {openPostgres} from '../../source/db/postgres.js';
import {openChainEntry, readChain} from '../../source/services/chain.js';
import {lastJson, runCli} from '../support/cli.js';
import {backends, createServerDatabase} from '../support/databases.js';
import {rowHashes, schemaLines} from '../support/exact.js';
import {hasPgDump, pgDumpSchema} from '../support/pg-dump.js';

/**
 * `baseline ID` and `pull DIR` (#11), a round trip: an existing schema recorded as the start of
 * the history (nothing run), a chain migrated on top of it, the history pulled back out as files,
 * those files agreeing with the database they came from, and rebuilding the same schema on an
 * empty database.
 */

const existing = `CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE teams (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE, mood mood DEFAULT 'happy');
CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL, email text, team_id bigint REFERENCES teams (id) ON DELETE SET NULL, CONSTRAINT users_username_check CHECK (username <> ''));
CREATE INDEX users_email_idx ON users (lower(email));
CREATE FUNCTION team_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM teams';
CREATE VIEW team_names AS SELECT name FROM teams;
COMMENT ON TABLE users IS 'the people';
COMMENT ON COLUMN users.email IS 'where to write';
INSERT INTO teams (name) VALUES ('red'), ('blue');
INSERT INTO users (username, email, team_id) SELECT 'user' || g, 'user' || g || '@example.com', 1 + g % 2 FROM generate_series(1, 120) g;`;

const chainFiles: Record<string, string> = {
	// Sorts before the baseline: the history the baseline stands for, never run (it would fail).
	'0000_old_tool.sql': 'CREATE TABLE users (id int);\n',
	'001_add_nickname.yaml': 'title: nicknames\noperations:\n  - add_column:\n      table: users\n      column: {name: nickname, type: text, nullable: true}\n      up: initcap(username)\n',
	'002_rename_email.json': '{"operations": [{"rename_column": {"table": "users", "from": "email", "to": "contact_email"}}]}\n',
	'003_nickname_index.sql': "CREATE INDEX users_nickname_idx ON users (nickname);\nALTER TABLE users ALTER COLUMN nickname SET DEFAULT 'anon';\n",
};

describe.each(backends())('baseline and pull on %s', backend => {
	const dir = mkdtempSync(join(tmpdir(), 'zdm-history-'));
	const pulled = mkdtempSync(join(tmpdir(), 'zdm-pulled-'));
	let where: string[];
	let url: string | undefined;
	let dataDir: string | undefined;
	const drops: Array<() => Promise<void>> = [];

	beforeAll(async () => {
		for (const [name, text] of Object.entries(chainFiles)) writeFileSync(join(dir, name), text);
		if (backend === 'server') {
			const created = await createServerDatabase();
			url = created.url;
			drops.push(created.drop);
			where = ['--database-url', url];
		} else {
			dataDir = mkdtempSync(join(tmpdir(), 'zdm-history-data-'));
			where = ['--data-dir', dataDir];
		}

		await withDb(async db => db.script(existing));
	});

	afterAll(async () => {
		for (const drop of drops) await drop();
		for (const path of [dir, pulled, dataDir]) if (path) rmSync(path, {recursive: true, force: true});
	});

	async function withDb<T>(work: (db: Database) => Promise<T>): Promise<T> {
		const db = url ? await openPostgres(url) : await openPglite({dataDir});
		try {
			return await work(db);
		} finally {
			await db.close();
		}
	}

	const cli = async (...args: string[]) => runCli([...args, ...where]);
	const publicSchema = async () => withDb(async db => ({lines: await schemaLines(db), rows: await rowHashes(db), ...(url && hasPgDump() ? {dump: await pgDumpSchema(url)} : {})}));

	it('baseline records the schema as it is, runs nothing, and refuses an id already in the history', async () => {
		const before = await publicSchema();
		const result = await cli('baseline', '000_baseline', '--yes', '--json');
		expect(result.code, result.stderr).toBe(0);
		expect(lastJson(result)).toMatchObject({type: 'baseline', id: '000_baseline', schema: 'public'});
		expect(await publicSchema()).toEqual(before);
		const status = await cli('status');
		expect(status.stdout).toMatch(/^000_baseline\s+COMPLETE\s+100 %.*\[baseline: nothing run\]/m);
		const again = await cli('baseline', '000_baseline', '--yes');
		expect(again.code).toBe(2);
		expect(again.stderr).toMatch(/^zdm-tui: migration 000_baseline is already in the history \(COMPLETE\) — give the baseline an id of its own\n$/);
	});

	it('migrate goes on from the baseline: the first migration is its child, and files up to it are the history it stands for', async () => {
		const result = await cli('migrate', dir, '--yes', '--complete', '--json');
		expect(result.code, result.stderr).toBe(0);
		const parents = await withDb(async db => (await db.query<{id: string; parent: string | null}>('SELECT id, parent FROM zdm.migrations ORDER BY started_at, id')).rows);
		expect(parents).toEqual([
			{id: '000_baseline', parent: null},
			{id: '001_add_nickname', parent: '000_baseline'},
			{id: '002_rename_email', parent: '001_add_nickname'},
			{id: '003_nickname_index', parent: '002_rename_email'},
		]);
	});

	it('pull writes the applied history as files; migrate over them changes nothing; an empty database built from them has the same schema', async () => {
		const result = await cli('pull', pulled);
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout).toContain(`wrote ${pulled}/000_baseline.yaml (COMPLETE, baseline)`);
		expect(readdirSync(pulled).sort()).toEqual(['000_baseline.yaml', '001_add_nickname.yaml', '002_rename_email.yaml', '003_nickname_index.yaml']);
		// Files already there are left alone.
		expect(lastJson(await cli('pull', pulled, '--json'))).toEqual({type: 'pull', dir: pulled, written: 0, alreadyThere: 4, applied: 4});
		const before = await publicSchema();
		const rerun = await cli('migrate', pulled, '--yes');
		expect(rerun.code, rerun.stderr).toBe(0);
		expect(rerun.stdout).toContain('nothing to migrate');
		expect(await publicSchema()).toEqual(before);

		// The same files on an empty database, through the service `migrate` and the dashboard use.
		const empty = url ? await createServerDatabase() : undefined;
		if (empty) drops.push(empty.drop);
		const fresh = empty ? await openPostgres(empty.url) : await openPglite();
		try {
			const chain = await readChain(fresh, {dir: pulled, complete: true, allow: []});
			expect(chain.entries.map(entry => [entry.file.id, entry.parent ?? null, entry.target])).toEqual([
				['000_baseline', null, 'complete'],
				['001_add_nickname', '000_baseline', 'complete'],
				['002_rename_email', '001_add_nickname', 'complete'],
				['003_nickname_index', '002_rename_email', 'complete'],
			]);
			for (const entry of chain.entries) {
				const opened = await openChainEntry(fresh, chain, entry, {flags: {allow: []}, signal: new AbortController().signal});
				try {
					expect(await opened.executor.run(opened.stopBefore)).toEqual({outcome: 'complete'});
				} finally {
					await opened.release();
				}
			}

			expect(await schemaLines(fresh)).toEqual(before.lines);
			if (empty && before.dump) expect(await pgDumpSchema(empty.url)).toBe(before.dump);
		} finally {
			await fresh.close();
		}
	});
});
