import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Executor} from '../../source/core/executor.js';
import {isEvent, kill9, startCli, useServerDatabase} from '../reliability/support.js';
import {serverUrl} from '../support/databases.js';
import {backends, compileOn, expectExactRollbackAtEveryStep, openTarget, plan, resetSchema, runToComplete, snapshot, type Target} from '../support/exact.js';

/**
 * add_column with check, references and unique: COMPLETE leaves each constraint in force and
 * validated; a failure at every step rolls back exactly; and when the existing rows break a
 * constraint (the VALIDATE or the unique index build fails on real data), the migration rolls
 * back by itself to exactly what was there.
 */

const setup = `CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO teams SELECT g, 'team' || g FROM generate_series(1, 5) g;
CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL, email text);
INSERT INTO users (username, email) SELECT 'User' || g, 'user' || g || '@example.com' FROM generate_series(1, 40) g;`;

const teamColumn = (up: string, check = 'team_id BETWEEN 1 AND 5') => ({
	add_column: {
		table: 'users',
		column: {name: 'team_id', type: 'bigint', nullable: false, check: {name: 'team_in_range', constraint: check}, references: {name: 'users_team_fk', table: 'teams', column: 'id'}},
		up,
	},
});

const handleColumn = (up: string) => ({add_column: {table: 'users', column: {name: 'handle', type: 'text', nullable: true, unique: true}, up}});

const constrained = plan({id: 'MIG-CONS', operations: [teamColumn('(id % 5) + 1'), handleColumn('lower(username)')]});

describe.each(backends())('add_column with check, references and unique on %s', backend => {
	let target: Target & {close(): Promise<void>};
	beforeAll(async () => {
		target = await openTarget(backend);
	});
	afterAll(async () => target?.close());

	/** Try a write; the constraint that refuses it, by SQLSTATE, or 'ok'. */
	async function attempt(sql: string): Promise<string> {
		return target.db.query(sql).then(
			() => 'ok',
			(error: {code?: string}) => error.code ?? 'error',
		);
	}

	it('COMPLETE: filled from up, NOT NULL, and the check, foreign key and unique constraint all validated and in force', async () => {
		await runToComplete(target, constrained, setup);
		const {rows: wrong} = await target.db.query<{n: number}>('SELECT count(*)::int AS n FROM users WHERE team_id IS DISTINCT FROM (id % 5) + 1 OR handle IS DISTINCT FROM lower(username)');
		expect(wrong[0]!.n).toBe(0);
		const {rows: constraints} = await target.db.query<{name: string; type: string; validated: boolean}>(
			"SELECT conname AS name, contype AS type, convalidated AS validated FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype IN ('c', 'f', 'u') ORDER BY conname",
		);
		expect(constraints).toEqual([
			{name: 'team_in_range', type: 'c', validated: true},
			{name: 'users_handle_key', type: 'u', validated: true},
			{name: 'users_team_fk', type: 'f', validated: true},
		]);
		const {rows: notNull} = await target.db.query<{attnotnull: boolean}>("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'team_id'");
		expect(notNull[0]!.attnotnull).toBe(true);
		expect(await attempt("INSERT INTO users (username, team_id) VALUES ('a', 1)")).toBe('ok');
		expect(await attempt("INSERT INTO users (username, team_id) VALUES ('b', NULL)")).toBe('23502');
		expect(await attempt("INSERT INTO users (username, team_id) VALUES ('c', 0)")).toBe('23514');
		expect(await attempt("INSERT INTO users (username, team_id) VALUES ('d', 9)")).toBe('23514');
		expect(await attempt('DELETE FROM teams WHERE id = 1')).toBe('23503');
		expect(await attempt("INSERT INTO users (username, team_id, handle) VALUES ('e', 2, 'user1')")).toBe('23505');
	});

	it('a failure at every step rolls back exactly: whole schema, pg_dump and rows of both tables', async () => {
		expect(await expectExactRollbackAtEveryStep(target, constrained, setup)).toBeGreaterThanOrEqual(8);
	});

	/** Run to the end with no injected failure: real data breaks a constraint on the way. */
	async function expectRealFailureRollsBack(file: ReturnType<typeof plan>, failingKind: string, error: RegExp) {
		await resetSchema(target.db, setup);
		const before = await snapshot(target);
		const executor = await Executor.open(target.db, await compileOn(target.db, file), {batchSize: 7});
		const outcome = await executor.run();
		expect(outcome).toMatchObject({outcome: 'rolled-back', step: {kind: failingKind}});
		expect(outcome.outcome === 'rolled-back' && outcome.error).toMatch(error);
		expect(executor.plan.phase).toBe('ROLLED_BACK');
		expect(await snapshot(target)).toEqual(before);
		return outcome;
	}

	it('a VALIDATE of the check that fails on existing rows rolls everything back exactly', async () => {
		// up gives team 5 to every fifth row; the check allows 1..4: only VALIDATE can see the old rows break it.
		const outcome = await expectRealFailureRollsBack(plan({id: 'MIG-CHECK', operations: [teamColumn('(id % 5) + 1', 'team_id BETWEEN 1 AND 4')]}), 'ddl', /team_in_range/);
		expect(outcome).toMatchObject({step: {description: expect.stringMatching(/^Validate/)}});
	});

	it('a VALIDATE of the foreign key that fails on existing rows rolls everything back exactly', async () => {
		// up points every sixth row at team 6, which does not exist.
		const outcome = await expectRealFailureRollsBack(plan({id: 'MIG-FK', operations: [teamColumn('(id % 6) + 1', 'team_id > 0')]}), 'ddl', /users_team_fk/);
		expect(outcome).toMatchObject({step: {description: expect.stringMatching(/^Validate/)}});
	});

	it('a unique index build that meets duplicates drops its INVALID leftover and rolls everything back exactly', async () => {
		// "user1", "user10", "user11"… all give "user1".
		await expectRealFailureRollsBack(plan({id: 'MIG-UNIQ', operations: [teamColumn('(id % 5) + 1'), handleColumn('lower(left(username, 5))')]}), 'concurrent', /users_handle_key|duplicate|unique/i);
	});
});

describe.skipIf(!serverUrl())('a unique index build killed with -9 on a server', () => {
	const scratch = mkdtempSync(join(tmpdir(), 'zdm-unique-'));
	let url: string;
	let app: pg.Client;
	useServerDatabase(server => ({url, app} = server));
	afterAll(() => rmSync(scratch, {recursive: true, force: true}));

	it('killed while CREATE INDEX CONCURRENTLY waits: the INVALID leftover is dropped and built again, COMPLETE with the constraint', async () => {
		await app.query(`DROP SCHEMA IF EXISTS zdm CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public; ${setup}`);
		const path = join(scratch, 'unique.json');
		writeFileSync(path, JSON.stringify({id: 'MIG-UNIQ-KILL', operations: [handleColumn('lower(username)')]}));
		const args = ['run', path, '--yes', '--json', '--batch-size', '7', '--database-url', url];
		// A transaction older than the build, with a snapshot: the build waits for it after creating its (INVALID) index.
		const older = new pg.Client({connectionString: url});
		await older.connect();
		try {
			await older.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
			await older.query('SELECT count(*) FROM teams');
			const cli = startCli(args);
			await cli.waitForLine(line => isEvent('step-started')(line) && line.includes('concurrently'));
			for (let i = 0; i < 200; i++) {
				const {rows} = await app.query("SELECT count(*)::int AS n FROM pg_index WHERE indexrelid = to_regclass('users_handle_key') AND NOT indisvalid");
				if (rows[0].n > 0) break;
				await new Promise(resolve => setTimeout(resolve, 20));
			}

			await kill9(cli);
			// A backend waiting inside the build does not notice its client is gone, and would finish the
			// index once the older transaction ends: end it as a server checking its clients would.
			await app.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'zdm-tui' AND datname = current_database()");
		} finally {
			await older.end();
		}

		for (let i = 0; i < 200; i++) {
			const {rows} = await app.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'zdm-tui' AND datname = current_database()");
			if (rows[0].n === 0) break;
			await new Promise(resolve => setTimeout(resolve, 50));
		}

		const {rows: landed} = await app.query("SELECT (SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass('users_handle_key')) AS invalid, (SELECT status FROM zdm.steps s WHERE migration_id = 'MIG-UNIQ-KILL' AND spec->>'kind' = 'concurrent') AS status");
		expect(landed[0], 'killed mid-build: an INVALID index, the step marked running').toEqual({invalid: true, status: 'running'});
		const resumed = startCli(args);
		expect(await resumed.exited, resumed.stderr()).toBe(0);
		expect(JSON.parse(resumed.lines.at(-1)!)).toMatchObject({phase: 'COMPLETE'});
		const {rows} = await app.query(
			"SELECT (SELECT count(*)::int FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'users'::regclass AND NOT i.indisvalid) AS invalid, (SELECT contype FROM pg_constraint WHERE conname = 'users_handle_key') AS constraint, (SELECT count(*)::int FROM users WHERE handle IS DISTINCT FROM lower(username)) AS wrong",
		);
		expect(rows[0]).toEqual({invalid: 0, constraint: 'u', wrong: 0});
	});
});
