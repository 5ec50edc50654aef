import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlanWithParser} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {validatePlan, type PlanFile} from '../../source/core/plan-file.js';
import {versionSchemaStep} from '../../source/core/versions.js';
import {readCatalog, tableHash} from '../../source/db/catalog.js';
import type {Database, Session} from '../../source/db/database.js';
import {latestVersion} from '../../source/db/state.js';
import {backends, openBackend} from '../support/databases.js';
import {resetMigrations} from '../support/reset.js';

/**
 * Version schemas (#8), judged through applications that connect as real ones do: v2 puts the
 * migration's version schema on its search_path and knows only the final names; v1 keeps the
 * base schema (or the previous version schema).
 */
describe.each(backends())('version schemas (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	const sessions: Session[] = [];
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 50));
	});
	afterAll(async () => {
		for (const session of sessions) await session.release();
		await close();
	});

	async function fresh() {
		await resetMigrations(db);
		await db.query('DROP TABLE IF EXISTS users CASCADE');
		const {seedUsers} = await import('../../source/db/seed.js');
		await seedUsers(db, {rows: 50});
	}

	const open = async (file: PlanFile) => Executor.open(db, (await compilePlanWithParser(file, await readCatalog(db))).plan);
	const app = async (schema: string) => {
		const session = await db.session({schema});
		sessions.push(session);
		return session;
	};

	it('a version schema holds one view per table, with the final names, and nothing of zdm\'s', async () => {
		await fresh();
		await db.query('CREATE TABLE notes (id bigint PRIMARY KEY, body text)');
		const executor = await open(validatePlan({id: 'V-1', operations: [{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', name: 'contact_email'}}]}));
		await executor.run('CONTRACTING');
		const {rows} = await db.query<{view: string; columns: string}>(
			`SELECT c.relname AS view, string_agg(a.attname, ',' ORDER BY a.attnum) AS columns FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 WHERE n.nspname = $1 GROUP BY c.relname ORDER BY 1`,
			['public_V-1'],
		);
		expect(rows).toEqual([
			{view: 'notes', columns: 'id,body'},
			{view: 'users', columns: 'id,username,contact_email'},
		]);
		expect(executor.plan.steps.find(step => step.operation === -1)!.description).toBe('Create version schema "public_V-1": 2 views with the new names');
		const v2 = await app(executor.plan.versionSchema);
		const {rows: typed} = await v2.query<{type: string}>("SELECT pg_typeof(contact_email)::text AS type FROM users WHERE username = 'alice'");
		expect(typed).toEqual([{type: 'character varying'}]);
		await executor.rollback();
		expect((await db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'public_V-1'")).rows).toHaveLength(0);
	});

	it('a value the new version writes before the backfill reaches its row is kept: the backfill fills only rows no version has written', async () => {
		await fresh();
		// up does not round-trip what v2 writes: up(down('Mixed@Case')) is lower case.
		const executor = await open(validatePlan({id: 'V-KEEP', operations: [{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', up: 'lower(email)', down: 'email'}}]}));
		await executor.run('MIGRATING');
		const v2 = await app(executor.plan.versionSchema);
		await v2.query("UPDATE users SET email = 'V2.Wrote@Mixed.Case' WHERE username = 'bob'");
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		const {rows} = await db.query<{email: string}>("SELECT email FROM users WHERE username IN ('alice', 'bob') ORDER BY username");
		expect(rows.map(row => row.email)).toEqual(['alice@example.com', 'V2.Wrote@Mixed.Case']);
	});

	it('a new-version INSERT that leaves a defaulted column out gets the new default, and keeps its value through a rollback', async () => {
		await fresh();
		const before = await tableHash(db, 'users');
		const file = validatePlan({id: 'V-2', operations: [{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', default: "'nobody@example.com'", up: 'lower(email)', down: 'email'}}]});
		const executor = await open(file);
		await executor.run('CONTRACTING');
		const v2 = await app(executor.plan.versionSchema);
		const {rows} = await v2.query<{id: string; email: string}>("INSERT INTO users (username) VALUES ('v2 only') RETURNING id::text, email");
		expect(rows[0]!.email).toBe('nobody@example.com');
		// The old version sees the same value in its own column (down), before and after a rollback.
		const old = async () => (await db.query<{email: string}>('SELECT email FROM users WHERE id = $1', [rows[0]!.id])).rows[0]?.email;
		expect(await old()).toBe('nobody@example.com');
		await executor.rollback();
		expect(await old()).toBe('nobody@example.com');
		await db.query('DELETE FROM users WHERE id = $1', [rows[0]!.id]);
		expect(await tableHash(db, 'users')).toBe(before);
	});

	it('a value the new version sets on an add_column column survives its later UPDATEs; the old version\'s writes get up()', async () => {
		await fresh();
		const executor = await open(validatePlan({id: 'V-3', operations: [{add_column: {table: 'users', column: {name: 'display_name', type: 'text', nullable: true}, up: 'initcap(username)'}}]}));
		await executor.run('CONTRACTING');
		const v2 = await app(executor.plan.versionSchema);
		await v2.query("UPDATE users SET display_name = 'The Boss' WHERE username = 'alice'");
		await v2.query("UPDATE users SET username = 'alice2' WHERE username = 'alice'");
		const {rows: inserted} = await v2.query<{id: string}>("INSERT INTO users (username, display_name) VALUES ('carol', 'Mine') RETURNING id::text");
		await v2.query("UPDATE users SET email = 'carol@example.com' WHERE id = $1", [inserted[0]!.id]);
		await db.query("UPDATE users SET username = 'robert' WHERE username = 'bob'");
		expect((await executor.run()).outcome).toBe('complete');
		const {rows} = await db.query<{username: string; display_name: string}>("SELECT username, display_name FROM users WHERE username IN ('alice2', 'carol', 'robert') ORDER BY username");
		expect(rows).toEqual([
			{username: 'alice2', display_name: 'The Boss'},
			{username: 'carol', display_name: 'Mine'},
			{username: 'robert', display_name: 'Robert'},
		]);
	});

	it('a view carries a default of its own only where the table does not already give the new version\'s default', async () => {
		await fresh();
		await db.query('DROP TABLE IF EXISTS notes');
		await db.query("CREATE TABLE notes (id bigint PRIMARY KEY, body text DEFAULT 'empty', pinned boolean)");
		const file = validatePlan({
			id: 'V-10',
			operations: [
				{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', default: "'nobody@example.com'", up: 'lower(email)', down: 'email'}},
				{rename_column: {table: 'notes', from: 'body', to: 'content'}},
				{create_table: {name: 'tags', columns: [{name: 'id', type: 'serial', pk: true}, {name: 'label', type: 'text', default: "'new'"}]}},
			],
		});
		const executor = await open(file);
		await executor.run('CONTRACTING');
		// Only users.email's final default lives on a shadow column without one yet; ids, the renamed
		// body and the created table take theirs from the table, and a column without one gets none.
		const {rows} = await db.query<{view: string; column: string; default: string}>(
			`SELECT c.relname AS view, a.attname AS column, pg_get_expr(d.adbin, d.adrelid) AS default
			   FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			   JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE n.nspname = $1 ORDER BY 1, 2`,
			['public_V-10'],
		);
		expect(rows).toEqual([{view: 'users', column: 'email', default: "'nobody@example.com'::character varying"}]);
		// Released at once: the server pool has 8 connections, and later tests hold sessions too.
		const v2 = await db.session({schema: executor.plan.versionSchema});
		try {
			expect((await v2.query('INSERT INTO notes (id) VALUES (1) RETURNING content')).rows).toEqual([{content: 'empty'}]);
			expect((await v2.query('INSERT INTO tags DEFAULT VALUES RETURNING label')).rows).toEqual([{label: 'new'}]);
		} finally {
			await v2.release();
		}

		await executor.rollback();
		await db.query('DROP TABLE notes');
	});

	it('latest follows start, rollback and complete; the next migration\'s contract drops the previous version schema', async () => {
		await fresh();
		expect((await latestVersion(db, 'public')).schema).toBe('public');
		const first = await open(validatePlan({id: 'V-4', operations: [{rename_column: {table: 'users', from: 'email', to: 'contact_email'}}]}));
		await first.run('CONTRACTING');
		expect((await latestVersion(db, 'public')).schema).toBe('public_V-4');
		await first.rollback();
		expect((await latestVersion(db, 'public')).schema).toBe('public');
		const again = await open(validatePlan({id: 'V-4', operations: [{rename_column: {table: 'users', from: 'email', to: 'contact_email'}}]}));
		await again.run();
		expect((await latestVersion(db, 'public')).schema).toBe('public_V-4');

		// The previous version's application goes on through its schema until the next contract.
		const v1 = await app('public_V-4');
		const second = await open(validatePlan({id: 'V-5', operations: [{rename_column: {table: 'users', from: 'contact_email', to: 'mail'}}]}));
		await second.run('CONTRACTING');
		expect((await latestVersion(db, 'public')).schema).toBe('public_V-5');
		const v2 = await app('public_V-5');
		expect((await v1.query("SELECT contact_email FROM users WHERE username = 'bob'")).rows).toEqual([{contact_email: 'bob@example.com'}]);
		expect((await v2.query("SELECT mail FROM users WHERE username = 'bob'")).rows).toEqual([{mail: 'bob@example.com'}]);
		expect(second.plan.steps.at(-1)!.forward).toContain('DROP SCHEMA IF EXISTS "public_V-4"');
		await second.run();
		expect((await db.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'public\\_V%' ORDER BY 1")).rows).toEqual([{nspname: 'public_V-5'}]);
		expect((await v2.query("SELECT mail FROM users WHERE username = 'bob'")).rows).toEqual([{mail: 'bob@example.com'}]);
	});

	it.skipIf(backend !== 'server')('an application role granted the table reads and writes through the version schema, with its own privileges', async () => {
		await fresh();
		await db.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zdm_test_app') THEN CREATE ROLE zdm_test_app; END IF; END $$");
		await db.query('GRANT SELECT, UPDATE ON users TO zdm_test_app');
		const executor = await open(validatePlan({id: 'V-7', operations: [{rename_column: {table: 'users', from: 'email', to: 'contact_email'}}]}));
		await executor.run('CONTRACTING');
		const v2 = await app(executor.plan.versionSchema);
		await v2.query('SET ROLE zdm_test_app');
		try {
			await v2.query("UPDATE users SET contact_email = 'boss@example.com' WHERE username = 'alice'");
			expect((await v2.query("SELECT contact_email FROM users WHERE username = 'alice'")).rows).toEqual([{contact_email: 'boss@example.com'}]);
			// security_invoker: the view grants nothing the table does not.
			await expect(v2.query("INSERT INTO users (username) VALUES ('intruder')")).rejects.toThrow(/permission denied/);
		} finally {
			await v2.query('RESET ROLE');
		}

		// The view keeps its own grant, but reads run with the reader's privileges on the table.
		await db.query('REVOKE SELECT ON users FROM zdm_test_app');
		await v2.query('SET ROLE zdm_test_app');
		try {
			await expect(v2.query('SELECT contact_email FROM users LIMIT 1')).rejects.toThrow(/permission denied for table users/);
		} finally {
			await v2.query('RESET ROLE');
		}

		await executor.run();
		await db.query('REVOKE ALL ON users FROM zdm_test_app');
	});

	it('the version schema grants what its tables grant, to PUBLIC and to a role, and each grantee USAGE on the schema', async () => {
		await fresh();
		await db.query('DROP TABLE IF EXISTS notes');
		await db.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zdm_test_reader') THEN CREATE ROLE zdm_test_reader; END IF; END $$");
		await db.query('GRANT SELECT ON users TO PUBLIC');
		await db.query('GRANT INSERT ON users TO zdm_test_reader');
		const executor = await open(validatePlan({id: 'V-8', operations: [{rename_column: {table: 'users', from: 'email', to: 'contact_email'}}]}));
		await executor.run('CONTRACTING');
		expect(executor.plan.steps.find(step => step.operation === -1)!.description).toBe('Create version schema "public_V-8": 1 view with the new names');
		// Who holds what besides the owner: the view as the table, the schema as every grantee needs it.
		const granted = async (acl: string, from: string, where: string) =>
			(
				await db.query<{grantee: string; privilege: string}>(
					`SELECT CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END AS grantee, g.privilege_type AS privilege
					   FROM ${from}, aclexplode(${acl}) g WHERE ${where} ORDER BY 1, 2`,
					['public_V-8'],
				)
			).rows;
		expect(await granted('c.relacl', 'pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace', "n.nspname = $1 AND c.relname = 'users' AND g.grantee <> c.relowner")).toEqual([
			{grantee: 'PUBLIC', privilege: 'SELECT'},
			{grantee: 'zdm_test_reader', privilege: 'INSERT'},
		]);
		expect(await granted('n.nspacl', 'pg_namespace n', 'n.nspname = $1 AND g.grantee <> n.nspowner')).toEqual([
			{grantee: 'PUBLIC', privilege: 'USAGE'},
			{grantee: 'zdm_test_reader', privilege: 'USAGE'},
		]);
		await executor.rollback();
		await db.query('REVOKE ALL ON users FROM PUBLIC, zdm_test_reader');
	});

	it('a table without columns gets no view, and a plan that leaves no table gets an empty version schema that its rollback drops', async () => {
		await fresh();
		await db.query('DROP TABLE IF EXISTS notes');
		await db.query('CREATE TABLE nothing ()');
		const rows = (await db.query('SELECT count(*)::int AS n FROM users')).rows;
		const executor = await open(validatePlan({id: 'V-9', operations: [{drop_table: {name: 'users'}}]}));
		expect(await executor.run('CONTRACTING')).toMatchObject({outcome: 'executed'});
		expect(executor.plan.steps.find(step => step.operation === -1)!.description).toBe('Create version schema "public_V-9": 0 views with the new names');
		expect((await db.query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public_V-9'")).rows).toEqual([]);
		await executor.rollback();
		expect(executor.plan.phase).toBe('ROLLED_BACK');
		expect((await db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'public_V-9'")).rows).toHaveLength(0);
		expect((await db.query('SELECT count(*)::int AS n FROM users')).rows).toEqual(rows);
		await db.query('DROP TABLE nothing');
	});

	it('refuses a version_schema that fits in 63 characters but not in 63 bytes, naming the field, before anything runs', async () => {
		await fresh();
		const before = await tableHash(db, 'users');
		const wide = validatePlan({id: 'V-11', version_schema: 'é'.repeat(40), operations: [{rename_column: {table: 'users', from: 'email', to: 'mail'}}]});
		await expect(open(wide)).rejects.toMatchObject({message: `version_schema "${'é'.repeat(20)}…" is 80 bytes; PostgreSQL names hold at most 63`, hint: 'choose a shorter name'});
		expect((await db.query("SELECT 1 FROM pg_namespace WHERE nspname LIKE 'é%'")).rows).toEqual([]);
		expect(await tableHash(db, 'users')).toBe(before);
	});

	it('on a server older than PostgreSQL 15, which has no security_invoker, the views are made without it', async () => {
		await fresh();
		await db.query('DROP TABLE IF EXISTS notes');
		const catalog = await readCatalog(db);
		const views = (serverVersion: number) => versionSchemaStep({...catalog, serverVersion}, catalog, 'public_V-12').forward.filter(statement => statement.startsWith('CREATE VIEW'));
		expect(views(140_013)).toEqual(['CREATE VIEW "public_V-12"."users" AS SELECT "id", "username", "email" FROM "public"."users"']);
		expect(views(150_000)).toEqual(['CREATE VIEW "public_V-12"."users" WITH (security_invoker = true) AS SELECT "id", "username", "email" FROM "public"."users"']);
	});

	it('refuses, before anything runs, a version schema name that exists already or is too long', async () => {
		await fresh();
		await db.query('CREATE SCHEMA "public_V-6"');
		const taken = validatePlan({id: 'V-6', operations: [{rename_column: {table: 'users', from: 'email', to: 'mail'}}]});
		await expect(open(taken)).rejects.toMatchObject({message: 'the version schema "public_V-6" already exists', hint: 'give the plan another id or a version_schema of its own, or drop that schema'});
		const named = validatePlan({id: 'V-6', version_schema: 'app_v6', operations: [{rename_column: {table: 'users', from: 'email', to: 'mail'}}]});
		const executor = await open(named);
		expect(executor.plan.versionSchema).toBe('app_v6');
		await executor.rollback();
		const long = validatePlan({id: `V-${'x'.repeat(60)}`, operations: [{rename_column: {table: 'users', from: 'email', to: 'mail'}}]});
		await expect(open(long)).rejects.toThrow(/^the version schema name "public_V-x+…" \(schema \+ "_" \+ id\) "public_V-x+…" is 69 bytes; PostgreSQL names hold at most 63$/);
		await db.query('DROP SCHEMA "public_V-6"');
	});
});
