import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {preparePlan} from '../../source/commands/prepare.js';
import {Executor} from '../../source/core/executor.js';
import {tableHash} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {ensureStateSchema} from '../../source/db/state.js';
import {backends, openBackend} from '../support/databases.js';
import {expectRefused, writePlan} from '../support/refusal.js';

const dropEmail = {id: 'DEP-1', operations: [{drop_column: {table: 'users', column: 'email'}}]};
const retypeEmail = {id: 'DEP-2', operations: [{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', up: 'email'}}]};

/**
 * Contract drops or retypes a column in its last transaction; whatever hangs on that column outside
 * the table is named before the first step, not found by a failing DROP COLUMN after the backfill.
 */
describe.each(backends())('objects that depend on a column contract drops or retypes (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 30));
		await ensureStateSchema(db);
	});
	afterAll(async () => close());

	it.each([
		['view', 'CREATE VIEW active_emails AS SELECT id, email FROM users', 'DROP VIEW active_emails', /view "public\.active_emails" depends on "users"\."email"/],
		['materialized view', 'CREATE MATERIALIZED VIEW email_counts AS SELECT email, count(*) FROM users GROUP BY email', 'DROP MATERIALIZED VIEW email_counts', /materialized view "public\.email_counts" depends on "users"\."email"/],
		['policy', 'CREATE POLICY own_email ON users USING (email IS NOT NULL)', 'DROP POLICY own_email ON users', /policy "own_email" depends on "users"\."email"/],
		['rule', "CREATE RULE keep_staff AS ON DELETE TO users WHERE old.email LIKE '%@staff' DO INSTEAD NOTHING", 'DROP RULE keep_staff ON users', /rule "keep_staff" depends on "users"\."email"/],
		[
			'trigger',
			"CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; CREATE TRIGGER on_email BEFORE UPDATE OF email ON users FOR EACH ROW EXECUTE FUNCTION touch()",
			'DROP TRIGGER on_email ON users; DROP FUNCTION touch()',
			/trigger "on_email" depends on "users"\."email"/,
		],
		[
			'generated column',
			"ALTER TABLE users ADD COLUMN email_domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED",
			'ALTER TABLE users DROP COLUMN email_domain',
			/generated column "email_domain" depends on "users"\."email"/,
		],
	])('a %s is named in a one-line refusal, for drop_column and a type change alike', async (_kind, create, drop, pattern) => {
		await db.script(create);
		try {
			await expectRefused(db, dropEmail, new RegExp(`drop_column\\.column: ${pattern.source}, which contract drops — drop it in a migration of its own first`));
			await expectRefused(db, retypeEmail, new RegExp(`alter_column: ${pattern.source}, which contract replaces with a column of the new type`));
		} finally {
			await db.script(drop);
		}
	});

	it('a view on another column is no reason to refuse', async () => {
		await db.query('CREATE VIEW names AS SELECT id, username FROM users');
		try {
			const prepared = await preparePlan(db, writePlan(dropEmail));
			expect(prepared.plan.steps.length).toBeGreaterThan(0);
		} finally {
			await db.query('DROP VIEW names');
		}
	});

	it('the previous version schema\'s views are zdm\'s own: contract drops them first, and the drop completes', async () => {
		const rename = await preparePlan(db, writePlan({id: 'DEP-3', operations: [{rename_column: {table: 'users', from: 'email', to: 'contact_email'}}]}));
		await (await Executor.open(db, rename.plan)).run();
		const views = await db.query<{count: number | string}>("SELECT count(*) AS count FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace n ON n.oid = v.relnamespace WHERE n.nspname = 'public_DEP-3' AND d.refobjid = 'users'::regclass");
		expect(Number(views.rows[0]!.count)).toBeGreaterThan(0);
		const drop = await preparePlan(db, writePlan({id: 'DEP-4', operations: [{drop_column: {table: 'users', column: 'contact_email'}}]}));
		const executor = await Executor.open(db, drop.plan);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		const left = await db.query<{name: string}>("SELECT attname AS name FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum");
		expect(left.rows.map(row => row.name)).toEqual(['id', 'username']);
		expect(await tableHash(db, 'users')).toMatch(/^32:/);
	});
});
