import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan, compilePlanWithParser} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {readCatalog, tableDefinition, tableHash} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {backends, openBackend} from '../support/databases.js';

const rename = validatePlan({id: 'MIG-002', operations: [{rename_column: {table: 'users', from: 'email', to: 'contact_email'}}]});

describe.each(backends())('indexes and constraints on a changed column (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 300));
	});
	afterAll(async () => close());

	it('a rename keeps the UNIQUE constraint and an index with its operator class, under their own names', async () => {
		await db.query('ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)');
		await db.query('CREATE INDEX users_email_lower ON users (email text_pattern_ops)');
		const before = [await tableDefinition(db, 'users'), await tableHash(db, 'users')];
		const failing = await Executor.open(db, compilePlan(rename, await readCatalog(db)).plan, {failAt: 2});
		await failing.run();
		expect(failing.plan.phase).toBe('ROLLED_BACK');
		expect([await tableDefinition(db, 'users'), await tableHash(db, 'users')]).toEqual(before);

		const executor = await Executor.open(db, compilePlan(rename, await readCatalog(db)).plan);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		const definition = await tableDefinition(db, 'users');
		expect(definition).toContain('constraint users_email_key UNIQUE (contact_email)');
		expect(definition).toMatch(/index CREATE INDEX users_email_lower ON public\.users USING btree \(contact_email text_pattern_ops\)/);
		await expect(db.query("INSERT INTO users (username, contact_email) VALUES ('eve', 'alice@example.com')")).rejects.toThrow(/duplicate key/);
	});

	it('a type change keeps a multi-column index and a check on the column, under their own names', async () => {
		await db.query('CREATE INDEX users_username_contact ON users (username, contact_email)');
		await db.query("ALTER TABLE users ADD CONSTRAINT users_username_short CHECK (length(username) < 50)");
		const change = validatePlan({id: 'MIG-010', operations: [{alter_column: {table: 'users', column: 'username', type: 'varchar(100)'}}]});
		expect(() => compilePlan(change, {schema: 'public', table: () => undefined, tables: () => [], serverVersion: 150_000, schemaExists: () => false})).toThrow(/table "users" does not exist/);
		const executor = await Executor.open(db, (await compilePlanWithParser(change, await readCatalog(db))).plan);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		const definition = await tableDefinition(db, 'users');
		expect(definition).toContain('index CREATE INDEX users_username_contact ON public.users USING btree (username, contact_email)');
		expect(definition).toMatch(/constraint users_username_short CHECK \(\(length\(\(username\)::text\) < 50\)\)$/m);
		expect(definition).toContain('column username character varying(100) NOT NULL');
		await expect(db.query(`INSERT INTO users (username) VALUES ('${'x'.repeat(60)}')`)).rejects.toThrow(/users_username_short/);
	});
});
