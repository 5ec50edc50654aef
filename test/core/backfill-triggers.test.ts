import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {lint} from '../../source/core/lint/index.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {readCatalog, tableHash} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {backends, openBackend} from '../support/databases.js';

const addDisplayName = validatePlan({id: 'BFT-1', operations: [{add_column: {table: 'users', column: {name: 'display_name', type: 'text', nullable: false}, up: 'initcap(username)'}}]});

/** The backfill computes the new column itself: the table's own triggers must not fire for every row. */
describe.each(backends())('the backfill and the table\'s own triggers (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 3000));
		await db.script(`
			ALTER TABLE users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT '2020-01-01T00:00:00Z';
			CREATE TABLE audit_log (id bigserial PRIMARY KEY, user_id bigint, at timestamptz DEFAULT now());
			CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
			CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit_log (user_id) VALUES (NEW.id); RETURN NEW; END $$;
			CREATE TRIGGER set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
			CREATE TRIGGER audit_users AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();`);
	});
	afterAll(async () => close());

	const stamps = async () => (await db.query<{hash: string}>('SELECT md5(string_agg(id::text || updated_at::text, \',\' ORDER BY id)) AS hash FROM users')).rows[0]!.hash;

	it('as a superuser, a backfill leaves updated_at as it was and writes no audit rows; the application\'s own updates still fire them', async () => {
		const catalog = await readCatalog(db);
		expect(catalog.mayReplicate).toBe(true);
		expect(catalog.table('users')!.triggers).toEqual([{name: 'audit_users', fires: 'O'}, {name: 'set_updated_at', fires: 'O'}]);
		const before = await stamps();
		const executor = await Executor.open(db, compilePlan(addDisplayName, catalog).plan, {batchSize: 500});
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		expect(await stamps()).toBe(before);
		expect(await tableHash(db, 'audit_log')).toBe('0:');
		const names = await db.query<{n: number | string}>("SELECT count(*) AS n FROM users WHERE display_name = initcap(username)");
		expect(Number(names.rows[0]!.n)).toBe(3002);
		// Nothing leaks: the application's next UPDATE fires both triggers as always.
		await db.query("UPDATE users SET username = 'alice2' WHERE id = 1");
		expect(await tableHash(db, 'audit_log')).toMatch(/^1:/);
		expect(await stamps()).not.toBe(before);
	});

	it('lint names the triggers that will fire where the role may not set session_replication_role, and an ALWAYS trigger even where it may', async () => {
		const plan = validatePlan({id: 'BFT-2', operations: [{add_column: {table: 'users', column: {name: 'nick', type: 'text', nullable: true}, up: 'lower(username)'}}]});
		const catalog = await readCatalog(db);
		const compiled = compilePlan(plan, catalog).plan;
		const found = (mayReplicate: boolean) => lint({file: plan, plan: compiled, catalog: {...catalog, mayReplicate}}).filter(finding => finding.rule === 'backfill-fires-triggers');
		expect(found(false)).toMatchObject([{severity: 'warning', operation: 0, message: expect.stringMatching(/^the backfill of "users" \(step \d+\) fires "audit_users", "set_updated_at" for every row: this role may not set session_replication_role$/)}]);
		expect(found(true)).toEqual([]);
		await db.query('ALTER TABLE users ENABLE ALWAYS TRIGGER audit_users');
		try {
			const always = await readCatalog(db);
			expect(lint({file: plan, plan: compiled, catalog: always}).filter(finding => finding.rule === 'backfill-fires-triggers')).toMatchObject([{message: expect.stringMatching(/fires "audit_users" for every row$/)}]);
		} finally {
			await db.query('ALTER TABLE users ENABLE TRIGGER audit_users');
		}
	});
});
