import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {lintOperations, lintSql, only, sql} from './lint-support.js';

// Each rule over raw SQL: one case it must catch, one close case it must let pass. The catalog is
// real (PGlite): users (seeded) and accounts, whose column types the type-change rule reads.
describe('lint rules over raw sql', () => {
	let db: Database;
	beforeAll(async () => {
		db = await openPglite();
		await seedUsers(db, {rows: 10});
		await db.query('CREATE TABLE accounts (id bigint PRIMARY KEY, name varchar(100), balance numeric(10,2), created timestamp, stamp timestamp(3), net cidr, note text)');
	});
	afterAll(async () => db.close());

	const findings = async (rule: string, ...ups: string[]) => only(await lintSql(db, ...ups), rule);

	it('sql-syntax: reports PostgreSQL\'s own message and position', async () => {
		const [found] = await findings('sql-syntax', 'ALTER TABLE users ADD COLUMN');
		expect(found).toMatchObject({severity: 'error', operation: 0});
		expect(found!.message).toMatch(/syntax error at end of input at character \d+/);
		expect(await findings('sql-syntax', 'ALTER TABLE users ADD COLUMN nick text')).toEqual([]);
	});

	it('transaction-control-in-sql: COMMIT or ROLLBACK would split the step from its mark; savepoints are fine', async () => {
		expect(await findings('transaction-control-in-sql', 'ALTER TABLE users ADD COLUMN a int; COMMIT; ALTER TABLE users ADD COLUMN b int')).toMatchObject([{severity: 'error'}]);
		expect(await findings('transaction-control-in-sql', 'BEGIN; SELECT 1; ROLLBACK')).toHaveLength(2);
		expect(await findings('transaction-control-in-sql', 'SAVEPOINT s; SELECT 1; RELEASE SAVEPOINT s')).toEqual([]);
	});

	it('lock-timeout: DDL after lock_timeout is disabled or raised, once per SET', async () => {
		const [off] = await findings('lock-timeout', 'SET LOCAL lock_timeout = 0; ALTER TABLE users ADD COLUMN a int; ALTER TABLE users ADD COLUMN b int');
		expect(off).toMatchObject({severity: 'error'});
		expect(off!.message).toMatch(/"SET LOCAL lock_timeout = 0": 2 DDL statements then run without lock_timeout/);
		expect(await findings('lock-timeout', "SET lock_timeout = '1min'; CREATE INDEX i ON users (email)")).toHaveLength(1);
		expect(await findings('lock-timeout', 'RESET lock_timeout; ALTER TABLE users DROP COLUMN email')).toHaveLength(1);
		expect(await findings('lock-timeout', "SET LOCAL lock_timeout = '2s'; ALTER TABLE users ADD COLUMN a int")).toEqual([]);
		expect(await findings('lock-timeout', 'SET LOCAL lock_timeout = 0; SELECT count(*) FROM users')).toEqual([]);
	});

	it('require-concurrent-index: CREATE INDEX on an existing table, not on one the plan creates', async () => {
		const [found] = await findings('require-concurrent-index', 'CREATE INDEX users_email_idx ON users (email)');
		expect(found).toMatchObject({severity: 'error', hint: expect.stringContaining('create_index')});
		expect(await findings('require-concurrent-index', 'REINDEX TABLE users')).toHaveLength(1);
		expect(await findings('require-concurrent-index', 'CREATE TABLE tags (name text); CREATE INDEX tags_name_idx ON tags (name)')).toEqual([]);
	});

	it('require-concurrent-drop-index: DROP INDEX without CONCURRENTLY is an error', async () => {
		expect(await findings('require-concurrent-drop-index', 'DROP INDEX IF EXISTS users_email_idx')).toMatchObject([{severity: 'error'}]);
		expect(await findings('require-concurrent-drop-index', 'DROP INDEX CONCURRENTLY IF EXISTS users_email_idx')).toEqual([]);
	});

	it('concurrently-in-transaction: CONCURRENTLY among other statements of a sql operation; alone it runs outside a transaction', async () => {
		const [mixed] = await findings('concurrently-in-transaction', 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email); ANALYZE users');
		expect(mixed).toMatchObject({severity: 'error', hint: expect.stringContaining('a sql operation of its own')});
		expect(await findings('concurrently-in-transaction', 'SELECT 1; DROP INDEX CONCURRENTLY users_email_idx')).toHaveLength(1);
		expect(await findings('concurrently-in-transaction', 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email)')).toEqual([]);
		expect(await findings('concurrently-in-transaction', '-- the lone statement\nDROP INDEX CONCURRENTLY users_email_idx;')).toEqual([]);
		expect(await findings('concurrently-in-transaction', 'CREATE INDEX users_email_idx ON users (email)')).toEqual([]);
	});

	it('add-column-volatile-default: random(), gen_random_uuid() — not now() or a constant', async () => {
		expect(await findings('add-column-volatile-default', 'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()')).toMatchObject([{severity: 'error'}]);
		expect(await findings('add-column-volatile-default', 'ALTER TABLE users ADD COLUMN score int DEFAULT (random() * 10)::int')).toHaveLength(1);
		expect(await findings('add-column-volatile-default', 'ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now(), ADD COLUMN n int DEFAULT 0')).toEqual([]);
		// add_column adds the column without its default and backfills: any default is safe there.
		const operation = {add_column: {table: 'users', column: {name: 'token', type: 'uuid', default: 'gen_random_uuid()'}}};
		expect(only(await lintOperations(db, [operation]), 'add-column-volatile-default')).toEqual([]);
	});

	it('add-column-generated: serial, identity, stored generated on an existing table', async () => {
		expect(await findings('add-column-generated', 'ALTER TABLE users ADD COLUMN seq bigserial')).toMatchObject([{severity: 'error'}]);
		expect(await findings('add-column-generated', 'ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY')).toHaveLength(1);
		expect(await findings('add-column-generated', 'ALTER TABLE users ADD COLUMN l int GENERATED ALWAYS AS (length(username)) STORED')).toHaveLength(1);
		expect(await findings('add-column-generated', 'ALTER TABLE users ADD COLUMN n bigint')).toEqual([]);
		expect(await findings('add-column-generated', 'CREATE TABLE tags (id bigserial PRIMARY KEY)')).toEqual([]);
	});

	it('not-null-without-default: ADD COLUMN NOT NULL with no default fails on a table with rows', async () => {
		const [found] = await findings('not-null-without-default', 'ALTER TABLE users ADD COLUMN age int NOT NULL');
		expect(found).toMatchObject({severity: 'error'});
		expect(await findings('not-null-without-default', 'ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0')).toEqual([]);
	});

	it('set-not-null-without-check: only after a CHECK (col IS NOT NULL) validated earlier', async () => {
		expect(await findings('set-not-null-without-check', 'ALTER TABLE users ALTER COLUMN email SET NOT NULL')).toMatchObject([{severity: 'error'}]);
		const safe = await findings(
			'set-not-null-without-check',
			'ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID',
			'ALTER TABLE users VALIDATE CONSTRAINT email_nn',
			'ALTER TABLE users ALTER COLUMN email SET NOT NULL',
		);
		expect(safe).toEqual([]);
		// NOT VALID alone proves nothing about existing rows.
		expect(await findings('set-not-null-without-check', 'ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID', 'ALTER TABLE users ALTER COLUMN email SET NOT NULL')).toHaveLength(1);
		// username is NOT NULL already: nothing to scan.
		expect(await findings('set-not-null-without-check', 'ALTER TABLE users ALTER COLUMN username SET NOT NULL')).toEqual([]);
	});

	it('constraint-without-not-valid: CHECK and FOREIGN KEY that scan existing rows', async () => {
		expect(await findings('constraint-without-not-valid', "ALTER TABLE users ADD CONSTRAINT email_at CHECK (email LIKE '%@%')")).toMatchObject([{severity: 'error'}]);
		expect(await findings('constraint-without-not-valid', 'ALTER TABLE accounts ADD CONSTRAINT accounts_user FOREIGN KEY (id) REFERENCES users (id)')).toHaveLength(1);
		expect(await findings('constraint-without-not-valid', 'ALTER TABLE accounts ADD COLUMN owner bigint REFERENCES users (id)')).toHaveLength(1);
		expect(await findings('constraint-without-not-valid', "ALTER TABLE users ADD CONSTRAINT email_at CHECK (email LIKE '%@%') NOT VALID")).toEqual([]);
	});

	it('validate-in-same-transaction: VALIDATE in the transaction that added it NOT VALID', async () => {
		const add = "ALTER TABLE users ADD CONSTRAINT email_at CHECK (email LIKE '%@%') NOT VALID";
		const validate = 'ALTER TABLE users VALIDATE CONSTRAINT email_at';
		expect(await findings('validate-in-same-transaction', `${add}; ${validate}`)).toMatchObject([{severity: 'error'}]);
		expect(await findings('validate-in-same-transaction', add, validate)).toEqual([]);
	});

	it('unique-without-using-index: UNIQUE / PRIMARY KEY that builds its own index', async () => {
		expect(await findings('unique-without-using-index', 'ALTER TABLE users ADD CONSTRAINT users_username_key UNIQUE (username)')).toMatchObject([{severity: 'error'}]);
		expect(await findings('unique-without-using-index', 'ALTER TABLE users ADD COLUMN handle text UNIQUE')).toHaveLength(1);
		expect(await findings('unique-without-using-index', 'ALTER TABLE users ADD CONSTRAINT users_username_key UNIQUE USING INDEX users_username_idx')).toEqual([]);
	});

	it('type-change-rewrite: rewriting changes fail, binary-compatible ones pass', async () => {
		const change = async (column: string, type: string) => findings('type-change-rewrite', `ALTER TABLE accounts ALTER COLUMN ${column} TYPE ${type}`);
		for (const [column, type] of [['name', 'varchar(50)'], ['balance', 'numeric(10,3)'], ['created', 'timestamptz'], ['id', 'numeric'], ['note', 'varchar(20)'], ['created', 'timestamp(3)']]) {
			expect(await change(column!, type!), `${column} → ${type}`).toMatchObject([{severity: 'error'}]);
		}

		for (const [column, type] of [['name', 'varchar(200)'], ['name', 'text'], ['note', 'varchar'], ['balance', 'numeric(12,2)'], ['balance', 'numeric'], ['stamp', 'timestamp(6)'], ['stamp', 'timestamp'], ['net', 'inet']]) {
			expect(await change(column!, type!), `${column} → ${type}`).toEqual([]);
		}

		expect(await findings('type-change-rewrite', 'ALTER TABLE accounts ALTER COLUMN note TYPE int USING length(note)')).toHaveLength(1);
	});

	it('type-change-rewrite: without a catalog the old type is unknown — a warning, not a guess', async () => {
		const [found] = await findings('type-change-rewrite', 'ALTER TABLE elsewhere ALTER COLUMN x TYPE text');
		expect(found).toMatchObject({severity: 'warning', message: expect.stringContaining('current type is unknown')});
	});

	it('rename-or-drop-outside-contract: before contract it breaks the old application; onComplete is fine', async () => {
		for (const up of ['ALTER TABLE users RENAME COLUMN email TO mail', 'ALTER TABLE users DROP COLUMN email', 'DROP TABLE accounts', 'ALTER TABLE accounts RENAME TO ledger']) {
			expect(await findings('rename-or-drop-outside-contract', up), up).toMatchObject([{severity: 'error', message: expect.stringContaining('EXPANDING')}]);
		}

		const atContract = await lintOperations(db, [{add_column: {table: 'users', column: {name: 'nick', type: 'text', nullable: true}}}, sql('ALTER TABLE users DROP COLUMN email', {onComplete: true})]);
		expect(only(atContract, 'rename-or-drop-outside-contract')).toEqual([]);
		expect(await findings('rename-or-drop-outside-contract', 'CREATE TABLE scratch (a int); DROP TABLE scratch')).toEqual([]);
	});

	it('work-after-access-exclusive: work while the lock is held; instant catalog changes pass', async () => {
		const [found] = await findings('work-after-access-exclusive', 'ALTER TABLE users ADD COLUMN a int; UPDATE users SET a = 1 WHERE id < 5');
		expect(found).toMatchObject({severity: 'error', message: expect.stringMatching(/updates rows while "users" is locked ACCESS EXCLUSIVE/)});
		expect(await findings('work-after-access-exclusive', 'ALTER TABLE users ADD COLUMN a int; CREATE INDEX CONCURRENTLY a_idx ON users (a)')).toHaveLength(1);
		expect(await findings('work-after-access-exclusive', 'ALTER TABLE users ADD COLUMN a int; ALTER TABLE users ALTER COLUMN a SET DEFAULT 0; COMMENT ON COLUMN users.a IS \'x\'')).toEqual([]);
		// The same statements in separate steps commit between them: the lock is gone.
		expect(await findings('work-after-access-exclusive', 'ALTER TABLE users ADD COLUMN a int', 'UPDATE users SET a = 1 WHERE id < 5')).toEqual([]);
	});

	it('unbatched-backfill: UPDATE or DELETE of a whole existing table', async () => {
		expect(await findings('unbatched-backfill', 'UPDATE users SET email = lower(email)')).toMatchObject([{severity: 'warning'}]);
		expect(await findings('unbatched-backfill', 'DELETE FROM accounts')).toHaveLength(1);
		expect(await findings('unbatched-backfill', "UPDATE users SET email = lower(email) WHERE id = 1")).toEqual([]);
	});

	it('prefer-jsonb: json columns in raw SQL', async () => {
		expect(await findings('prefer-jsonb', 'ALTER TABLE users ADD COLUMN meta json')).toMatchObject([{severity: 'warning'}]);
		expect(await findings('prefer-jsonb', 'CREATE TABLE events (payload json[])')).toHaveLength(1);
		expect(await findings('prefer-jsonb', 'ALTER TABLE users ADD COLUMN meta jsonb')).toEqual([]);
	});
});
