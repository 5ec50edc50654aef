import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {leftovers, readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {backends, openBackend} from '../support/databases.js';

const retypeEmail = validatePlan({id: 'TRG-1', operations: [{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', up: 'email', down: 'email'}}]});

/** The table's own triggers run before zdm's sync trigger, which then copies the final row. */
describe.each(backends())('the table\'s own BEFORE triggers (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 50));
		await db.script(`
			CREATE FUNCTION normalise_email() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.email := lower(NEW.email); RETURN NEW; END $$;
			CREATE TRIGGER normalise_email BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION normalise_email();`);
	});
	afterAll(async () => close());

	it('a value the old version writes mid-migration is normalised by the user\'s trigger, and after COMPLETE the new column holds it', async () => {
		const executor = await Executor.open(db, compilePlan(retypeEmail, await readCatalog(db)).plan);
		await executor.run('CONTRACTING');
		const order = await db.query<{name: string}>("SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal ORDER BY tgname COLLATE \"C\"");
		expect(order.rows.map(row => row.name)).toEqual(['normalise_email', expect.stringMatching(/^~zdm_users_/)]);
		// The old version (the base schema) writes mixed case, by INSERT and by UPDATE.
		await db.query("INSERT INTO users (username, email) VALUES ('mixed', 'MiXeD@Example.COM')");
		await db.query("UPDATE users SET email = 'ALICE@Example.COM' WHERE username = 'alice'");
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		const emails = await db.query<{username: string; email: string}>("SELECT username, email FROM users WHERE username IN ('alice', 'mixed') ORDER BY username");
		expect(emails.rows).toEqual([
			{username: 'alice', email: 'alice@example.com'},
			{username: 'mixed', email: 'mixed@example.com'},
		]);
		expect(await leftovers(db)).toEqual([]);
	});
});
