import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {preparePlan} from '../../source/commands/prepare.js';
import {Executor} from '../../source/core/executor.js';
import {tableDefinition, tableHash} from '../../source/db/catalog.js';
import type {Database, Session} from '../../source/db/database.js';
import {ensureStateSchema} from '../../source/db/state.js';
import {runCli} from '../support/cli.js';
import {backends, openBackend} from '../support/databases.js';
import {writePlan} from '../support/refusal.js';

const retype = (id: string, column = 'email') => ({id, operations: [{alter_column: {table: 'users', column, type: 'varchar(320)', up: column, down: column}}]});

/**
 * After `start` the new application runs on the version schema and its shadow column; a failing
 * `complete` must leave it there (the migration still started) rather than roll everything back.
 */
describe.each(backends())('a failing complete after start (%s)', backend => {
	let db: Database;
	let url: string | undefined;
	let close: () => Promise<void>;
	const sessions: Session[] = [];
	beforeAll(async () => {
		({db, url, close} = await openBackend(backend, 40));
		await ensureStateSchema(db);
	});
	afterAll(async () => {
		for (const session of sessions) await session.release();
		await close();
	});

	const state = async () => [await tableDefinition(db, 'users'), await tableHash(db, 'users'), (await db.query("SELECT string_agg(nspname, ',' ORDER BY nspname) AS s FROM pg_namespace WHERE nspname LIKE 'public\\_%'")).rows[0]];

	it('undoes only the contract: MIGRATING, both versions working, then complete succeeds once the cause is gone', async () => {
		const prepared = await preparePlan(db, writePlan(retype('KEEP-1')));
		const started = await Executor.open(db, prepared.plan);
		await started.run('CONTRACTING');
		const v2 = await db.session({schema: prepared.plan.versionSchema});
		sessions.push(v2);
		await v2.query("INSERT INTO users (username, email) VALUES ('v2', 'v2@example.com')");
		// Made after start, so plan time could not see it: DROP COLUMN at contract now fails.
		await db.query('CREATE VIEW email_report AS SELECT id, email FROM users');
		const before = await state();

		const complete = await Executor.resume(db, 'KEEP-1', {keepStartedOnContractFailure: true});
		const outcome = await complete.run();
		expect(outcome).toMatchObject({outcome: 'contract-failed', error: expect.stringMatching(/cannot drop column email/)});
		expect(complete.plan.phase).toBe('MIGRATING');
		expect((await db.state.load(db, 'KEEP-1'))!.phase).toBe('MIGRATING');
		expect(await state()).toEqual(before);
		// Both versions still read and write.
		await v2.query("UPDATE users SET email = 'v2b@example.com' WHERE username = 'v2'");
		await db.query("INSERT INTO users (username, email) VALUES ('v1', 'v1@example.com')");
		const seen = await v2.query<{email: string}>("SELECT email FROM users WHERE username IN ('v1', 'v2') ORDER BY username");
		expect(seen.rows.map(row => row.email)).toEqual(['v1@example.com', 'v2b@example.com']);

		await db.query('DROP VIEW email_report');
		const again = await Executor.resume(db, 'KEEP-1', {keepStartedOnContractFailure: true});
		await again.run();
		expect(again.plan.phase).toBe('COMPLETE');
		const type = await db.query<{type: string}>("SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email'");
		expect(type.rows[0]!.type).toBe('character varying(320)');
	});

	it('without the option (run, the dashboard) the same failure rolls back everything, as before', async () => {
		const prepared = await preparePlan(db, writePlan(retype('KEEP-2', 'username')));
		const before = await state();
		const started = await Executor.open(db, prepared.plan);
		await started.run('CONTRACTING');
		await db.query('CREATE VIEW name_report AS SELECT id, username FROM users');
		const outcome = await (await Executor.resume(db, 'KEEP-2')).run();
		expect(outcome.outcome).toBe('rolled-back');
		await db.query('DROP VIEW name_report');
		expect(await state()).toEqual(before);
	});

	it('zdm-tui complete exits 1 with one line saying the migration is still started, and how to go on', async () => {
		if (backend !== 'server') return;
		const plan = writePlan(retype('KEEP-3'));
		expect((await runCli(['start', plan, '--yes', '--database-url', url!])).code).toBe(0);
		await db.query('CREATE VIEW email_report AS SELECT id, email FROM users');
		const result = await runCli(['complete', 'KEEP-3', '--yes', '--database-url', url!]);
		expect(result.code).toBe(1);
		expect(result.lines.at(-1)).toMatch(/^KEEP-3: MIGRATING, \d+ % — contract failed and was undone \(cannot drop column email.*\); migration KEEP-3 is still started and both versions work — fix the cause and run zdm-tui complete KEEP-3 again, or zdm-tui rollback KEEP-3$/);
		await db.query('DROP VIEW email_report');
		expect((await runCli(['complete', 'KEEP-3', '--yes', '--database-url', url!])).code).toBe(0);
	});
});
