import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ZdmError} from '../../source/core/errors.js';
import {Executor} from '../../source/core/executor.js';
import {loadMigration} from '../../source/db/state.js';
import {isEvent, kill9, startCli, useServerDatabase} from '../reliability/support.js';
import {serverUrl} from '../support/databases.js';
import {backends, compileOn, expectExactRollbackAtEveryStep, openTarget, plan, resetSchema, runToComplete, snapshot, type Target} from '../support/exact.js';

/**
 * Raw `sql` operations run for real: `up` at expand, `onComplete` at contract, `down` as the
 * rollback of each, through COMPLETE and a failure at every step of a plan that mixes them with
 * a backfilling add_column. Then a `sql` without `down`: the rollback stops there, refusing.
 */

const setup = `CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL, email text);
INSERT INTO users (username, email) SELECT 'User' || g, 'user' || g || '@example.com' FROM generate_series(1, 40) g;`;

const auditUp = `CREATE TABLE audit (id bigserial PRIMARY KEY, note text NOT NULL);
CREATE FUNCTION audit_note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (note) VALUES (TG_OP || ' ' || NEW.id); RETURN NEW; END $$;
CREATE TRIGGER users_audit AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION audit_note();
INSERT INTO audit (note) VALUES ('created')`;

const addNickname = {add_column: {table: 'users', column: {name: 'nickname', type: 'text', nullable: true}, up: 'lower(username)'}};

const audited = plan({
	id: 'MIG-SQL',
	operations: [
		{sql: {up: auditUp, down: 'DROP TRIGGER users_audit ON users; DROP FUNCTION audit_note(); DROP TABLE audit'}},
		addNickname,
		{
			sql: {
				up: "COMMENT ON TABLE users IS 'audited'; INSERT INTO audit (note) VALUES ('completed')",
				down: "DELETE FROM audit WHERE note = 'completed'; COMMENT ON TABLE users IS NULL",
				onComplete: true,
			},
		},
	],
});

describe.each(backends())('raw sql operations on %s', backend => {
	let target: Target & {close(): Promise<void>};
	beforeAll(async () => {
		target = await openTarget(backend);
	});
	afterAll(async () => target?.close());

	const notes = async () => (await target.db.query<{note: string}>('SELECT note FROM audit ORDER BY id')).rows.map(row => row.note);

	it('up runs at expand, onComplete at contract; COMPLETE leaves both in place and the column filled', async () => {
		await resetSchema(target.db, setup);
		const executor = await Executor.open(target.db, await compileOn(target.db, audited), {batchSize: 7});
		const script = executor.plan.steps.filter(step => step.kind === 'script');
		expect(script.map(step => step.phase)).toEqual(['EXPANDING', 'CONTRACTING']);
		// Run up to the contract's raw SQL: up has run, onComplete has not.
		while (executor.next !== script[1]) await executor.step();
		expect(await notes()).toEqual(['created']);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		expect(await notes()).toEqual(['created', 'completed']);
		const {rows} = await target.db.query<{comment: string | null; wrong: number}>(
			"SELECT obj_description('users'::regclass, 'pg_class') AS comment, (SELECT count(*)::int FROM users WHERE nickname IS DISTINCT FROM lower(username)) AS wrong",
		);
		expect(rows[0]).toEqual({comment: 'audited', wrong: 0});
		// up's trigger is live after COMPLETE.
		await target.db.query("INSERT INTO users (username) VALUES ('late')");
		expect((await notes()).at(-1)).toMatch(/^INSERT \d+$/);
	});

	it('a failure at every step runs the down of each executed sql: whole schema, pg_dump and rows exactly as before', async () => {
		const steps = await expectExactRollbackAtEveryStep(target, audited, setup);
		expect(steps).toBeGreaterThanOrEqual(4);
	});

	it('the whole-schema proof catches a down that leaves its trigger function behind', async () => {
		const leaky = plan({id: 'MIG-LEAK', operations: [{sql: {up: auditUp, down: 'DROP TRIGGER users_audit ON users; DROP TABLE audit'}}, addNickname]});
		const caught = (await expectExactRollbackAtEveryStep(target, leaky, setup).catch((error: unknown) => error)) as {message: string; actual: unknown; expected: unknown};
		expect(caught.message).toMatch(/^schema after failing at step 2 of \d+/);
		// The only difference: the function down forgot.
		const [actual, expected] = [caught.actual, caught.expected] as string[][];
		expect(actual!.filter(line => !expected!.includes(line))).toEqual([expect.stringMatching(/^function CREATE OR REPLACE FUNCTION public\.audit_note\(\)/)]);
	});

	it('a sql without down: the rollback undoes what came after it exactly, then refuses to pass it, and stays refused', async () => {
		const oneWay = plan({
			id: 'MIG-ONEWAY',
			operations: [
				// IF NOT EXISTS: the table may have been there before, so no inverse is provable.
				{sql: {up: 'CREATE TABLE IF NOT EXISTS legacy_emails AS SELECT id, email FROM users'}},
				addNickname,
			],
		});
		await resetSchema(target.db, setup);
		const compiled = await compileOn(target.db, oneWay);
		const backfill = compiled.steps.find(step => step.kind === 'backfill')!;
		expect(compiled.steps[0]).toMatchObject({kind: 'script', irreversible: true});
		const executor = await Executor.open(target.db, compiled, {batchSize: 7, failAt: backfill.number});
		await executor.step();
		const afterIrreversible = await snapshot(target);
		const refusal = await executor.run().catch((error: unknown) => error);
		expect(refusal).toBeInstanceOf(ZdmError);
		expect((refusal as ZdmError).code).toBe('refused');
		expect((refusal as ZdmError).oneLine()).toMatch(/^step 1 \(Run SQL: CREATE TABLE IF NOT EXISTS legacy_emails .*\) cannot be undone — /);
		// Everything after the one-way step is undone exactly; the one-way step's work stays.
		expect(await snapshot(target)).toEqual(afterIrreversible);
		const stored = (await loadMigration(target.db, 'MIG-ONEWAY'))!;
		expect(stored.phase).toBe('MIGRATING');
		expect(stored.steps.map(step => step.status)).toEqual(compiled.steps.map(step => (step.number === 1 ? 'executed' : step.number === backfill.number ? 'failed' : step.number < backfill.number ? 'rolled_back' : 'pending')));
		// Opened again, it neither goes forward nor back: each try refuses the same way and changes nothing.
		const again = await Executor.resume(target.db, 'MIG-ONEWAY');
		expect(again.rollingBack).toBe(true);
		await expect(again.step()).rejects.toThrow(/step 1 .* cannot be undone/);
		await expect(again.rollback()).rejects.toThrow(/step 1 .* cannot be undone/);
		expect(await snapshot(target)).toEqual(afterIrreversible);
	});

	it('COMPLETE with a sql without down runs it once', async () => {
		const oneWay = plan({id: 'MIG-ONEWAY2', operations: [{sql: {up: "INSERT INTO users (username) VALUES ('from-sql')"}}]});
		await runToComplete(target, oneWay, setup);
		const {rows} = await target.db.query<{n: number}>("SELECT count(*)::int AS n FROM users WHERE username = 'from-sql'");
		expect(rows[0]!.n).toBe(1);
	});
});

describe.skipIf(!serverUrl())('a raw sql step killed with -9 on a server', () => {
	const scratch = mkdtempSync(join(tmpdir(), 'zdm-raw-sql-'));
	let url: string;
	let app: pg.Client;
	useServerDatabase(server => ({url, app} = server));
	afterAll(() => rmSync(scratch, {recursive: true, force: true}));

	it('killed inside the step: nothing of it stays, and the rerun runs it exactly once to COMPLETE', async () => {
		await app.query(`DROP SCHEMA IF EXISTS zdm CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public; ${setup} CREATE TABLE runs (at timestamptz NOT NULL DEFAULT now());`);
		const path = join(scratch, 'slow.json');
		writeFileSync(
			path,
			JSON.stringify({
				id: 'MIG-SLOW',
				operations: [{sql: {up: "INSERT INTO runs DEFAULT VALUES; COMMENT ON TABLE users IS 'ran'; SELECT pg_sleep(2)", down: "DELETE FROM runs; COMMENT ON TABLE users IS NULL"}}, addNickname],
			}),
		);
		const args = ['run', path, '--yes', '--json', '--batch-size', '7', '--database-url', url];
		const cli = startCli(args);
		await cli.waitForLine(isEvent('step-started', 1));
		// The INSERT has run and pg_sleep holds the transaction open: kill it there.
		for (let i = 0; i < 100; i++) {
			const {rows} = await app.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' AND state = 'active' AND pid <> pg_backend_pid()");
			if (rows[0].n > 0) break;
			await new Promise(resolve => setTimeout(resolve, 20));
		}

		await kill9(cli);
		for (let i = 0; i < 200; i++) {
			const {rows} = await app.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'zdm-tui' AND datname = current_database()");
			if (rows[0].n === 0) break;
			await new Promise(resolve => setTimeout(resolve, 50));
		}

		const landed = await app.query("SELECT (SELECT count(*)::int FROM runs) AS runs, obj_description('users'::regclass, 'pg_class') AS comment, (SELECT status FROM zdm.steps WHERE migration_id = 'MIG-SLOW' AND number = 1) AS status");
		expect(landed.rows[0]).toEqual({runs: 0, comment: null, status: 'pending'});
		const resumed = startCli(args);
		expect(await resumed.exited, resumed.stderr()).toBe(0);
		expect(JSON.parse(resumed.lines.at(-1)!)).toMatchObject({phase: 'COMPLETE'});
		const done = await app.query("SELECT (SELECT count(*)::int FROM runs) AS runs, obj_description('users'::regclass, 'pg_class') AS comment, (SELECT count(*)::int FROM users WHERE nickname IS DISTINCT FROM lower(username)) AS wrong");
		expect(done.rows[0]).toEqual({runs: 1, comment: 'ran', wrong: 0});
	});
});
