import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {leftovers, readCatalog} from '../../source/db/catalog.js';
import type {Database, Session} from '../../source/db/database.js';
import {backends, openBackend} from '../support/databases.js';

const retypeEmail = validatePlan({id: 'TRG-1', operations: [{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', up: 'email', down: 'email'}}]});

/** The table's own triggers run before zdm's sync trigger, which then copies the final row. */
describe.each(backends())('the table\'s own BEFORE triggers (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	const sessions: Session[] = [];
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 50));
		await db.script(`
			CREATE FUNCTION normalise_email() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.email := lower(NEW.email); RETURN NEW; END $$;
			CREATE TRIGGER normalise_email BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION normalise_email();`);
	});
	afterAll(async () => {
		for (const session of sessions) await session.release();
		await close();
	});

	it('a value the old version writes mid-migration is normalised by the user\'s trigger, and after COMPLETE the new column holds it', async () => {
		const executor = await Executor.open(db, compilePlan(retypeEmail, await readCatalog(db)).plan);
		await executor.run('CONTRACTING');
		const order = await db.query<{name: string}>("SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal ORDER BY tgname COLLATE \"C\"");
		expect(order.rows.map(row => row.name)).toEqual([expect.stringMatching(/^!zdm_users_/), 'normalise_email', expect.stringMatching(/^~zdm_users_/)]);
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

	it('a value the NEW version writes mid-migration is normalised by the same trigger: the old version reads it normalised, and after COMPLETE so does everyone', async () => {
		await db.query("DELETE FROM users WHERE username LIKE 'v2-%'");
		const executor = await Executor.open(db, compilePlan({...retypeEmail, id: 'TRG-2'}, await readCatalog(db)).plan);
		await executor.run('CONTRACTING');
		const v2 = await db.session({schema: executor.plan.versionSchema});
		sessions.push(v2);
		await v2.query("INSERT INTO users (username, email) VALUES ('v2-insert', 'V2@Example.COM')");
		await v2.query("UPDATE users SET email = 'BOB@Example.COM' WHERE username = 'bob'");
		// v2 reads its own write back normalised, and so does v1 from the old column.
		const read = async (q: {query: Database['query']}) => (await q.query<{username: string; email: string}>("SELECT username, email FROM users WHERE username IN ('bob', 'v2-insert') ORDER BY username")).rows;
		const normalised = [
			{username: 'bob', email: 'bob@example.com'},
			{username: 'v2-insert', email: 'v2@example.com'},
		];
		expect(await read(v2)).toEqual(normalised);
		expect(await read(db)).toEqual(normalised);
		// A v2 write the user's trigger leaves alone is kept exactly (no round trip through down and up).
		await v2.query("UPDATE users SET email = 'already@lower.case' WHERE username = 'bob'");
		expect((await read(db))[0]!.email).toBe('already@lower.case');
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		expect(await read(db)).toEqual([{username: 'bob', email: 'already@lower.case'}, normalised[1]]);
		expect(await leftovers(db)).toEqual([]);
	});
});

/**
 * Columns named like plpgsql's own variables (FOUND, TG_OP): the sync triggers declare each column
 * as a variable, so that up and down read the row's values. Left undeclared, `found` read
 * plpgsql's boolean FOUND, and every write of either version failed.
 */
describe.each(backends())('columns named like plpgsql variables (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 0));
		await db.query('CREATE TABLE lost_items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, found text NOT NULL, tg_op text NOT NULL)');
		await db.query("INSERT INTO lost_items (found, tg_op) VALUES ('Keys', 'Desk'), ('Umbrella', 'Lobby')");
	});
	afterAll(async () => close());

	it('a type change whose up and down read them keeps both versions writing, and completes with every row right', async () => {
		const plan = validatePlan({id: 'TRG-found', operations: [{alter_column: {table: 'lost_items', column: 'found', type: 'varchar(50)', up: "upper(found) || '@' || tg_op", down: 'lower(found)'}}]});
		const executor = await Executor.open(db, compilePlan(plan, await readCatalog(db)).plan);
		await executor.run('CONTRACTING');
		// The old version, through the base schema.
		await db.query("UPDATE lost_items SET found = 'Wallet' WHERE id = 1");
		await db.query("INSERT INTO lost_items (found, tg_op) VALUES ('Hat', 'Hall')");
		// The new version, through its version schema: the old column gets down of its value.
		const v2 = await db.session({schema: executor.plan.versionSchema});
		try {
			await v2.query("INSERT INTO lost_items (found, tg_op) VALUES ('SCARF@GATE', 'Gate')");
		} finally {
			await v2.release();
		}

		const old = await db.query<{found: string}>('SELECT found FROM lost_items ORDER BY id');
		expect(old.rows.map(row => row.found)).toEqual(['Wallet', 'Umbrella', 'Hat', 'scarf@gate']);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		const after = await db.query<{found: string}>('SELECT found FROM lost_items ORDER BY id');
		expect(after.rows.map(row => row.found)).toEqual(['WALLET@Desk', 'UMBRELLA@Lobby', 'HAT@Hall', 'SCARF@GATE']);
		expect(await leftovers(db)).toEqual([]);
	});
});
