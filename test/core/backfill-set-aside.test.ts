import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {seedUsers} from '../../source/db/seed.js';
import {backends, openBackend} from '../support/databases.js';
import {resetMigrations} from '../support/reset.js';

/**
 * A table with a BEFORE UPDATE row trigger has each updated row fetched and locked for it, even
 * when the trigger is skipped: a second WAL record a row. On the embedded database a batch drops
 * zdm's sync triggers and creates them again before it commits (no one else runs meanwhile); on a
 * server, where writers would see the table without them, they stay.
 */
const sample = 'samples/add-display-name.yaml';
const rows = 20_000;

const triggers = `SELECT t.oid::int AS oid, t.tgname AS name, pg_get_triggerdef(t.oid) AS definition, t.tgenabled AS enabled FROM pg_trigger t WHERE t.tgrelid = 'users'::regclass AND NOT t.tgisinternal ORDER BY t.tgname`;
const walNow = "SELECT pg_current_wal_insert_lsn()::text AS lsn";
const walSince = "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::float8 AS bytes";

describe.each(backends())('the backfill beside its sync triggers on %s', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 10));
	});
	afterAll(async () => close());

	async function fresh() {
		await resetMigrations(db);
		await db.query('DROP TABLE IF EXISTS users CASCADE');
		await db.query('DROP FUNCTION IF EXISTS touch_email()');
		await seedUsers(db, {rows});
		await db.query('VACUUM (ANALYZE) users');
	}

	/** The executor up to its backfill step, and the WAL position before and after the step. */
	async function expandThenBackfill(options: {userTrigger?: boolean; searchPath?: string} = {}) {
		await fresh();
		if (options.userTrigger) {
			await db.script(`CREATE FUNCTION touch_email() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.email := lower(NEW.email); RETURN NEW; END $$;
				CREATE TRIGGER touch_email BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_email();`);
		}

		const {plan} = compilePlan(readPlanFile(sample), await readCatalog(db));
		const executor = await Executor.open(db, plan, {batchSize: 10_000});
		while (executor.next?.kind !== 'backfill') await executor.step();
		const before = (await db.query<{oid: number; name: string; definition: string; enabled: string}>(triggers)).rows;
		// The new application on the embedded database's one connection, after the first batch:
		// its own search_path, left set, under which "users" is the version schema's view.
		let switched = false;
		executor.on(event => {
			if (event.type !== 'batch' || !options.searchPath || switched) return;
			switched = true;
			void db.query(`SET search_path = "${options.searchPath}"`);
		});
		const from = (await db.query<{lsn: string}>(walNow)).rows[0]!.lsn;
		const outcome = await executor.step();
		const {rows: wal} = await db.query<{bytes: number}>(walSince, [from]);
		if (options.searchPath) {
			expect(switched).toBe(true);
			expect((await db.query<{path: string}>("SELECT current_setting('search_path') AS path")).rows[0]!.path).toBe(`"${options.searchPath}"`);
			await db.query('RESET search_path');
		}

		expect(outcome, JSON.stringify(outcome)).toMatchObject({outcome: 'executed'});
		expect((await db.query<{count: number}>('SELECT count(*)::int AS count FROM zdm.backfill_batch')).rows[0]!.count).toBeGreaterThan(1);
		return {executor, before, walPerRow: wal[0]!.bytes / rows};
	}

	/** WAL a row for the same UPDATE of the same table with no trigger at all. */
	async function plainWalPerRow() {
		await fresh();
		await db.query('ALTER TABLE users ADD COLUMN display_name text');
		const from = (await db.query<{lsn: string}>(walNow)).rows[0]!.lsn;
		await db.query('UPDATE users SET display_name = initcap(username) WHERE ctid < $1::tid', ['(100000,0)']);
		const {rows: wal} = await db.query<{bytes: number}>(walSince, [from]);
		return wal[0]!.bytes / rows;
	}

	/** Each row written once (a row lock for a trigger adds ~56 B a row); the batches' own records and DDL add a little. */
	const writtenOnce = (perRow: number, plain: number) => perRow < plain + 25;

	it(backend === 'pglite' ? 'writes each row once: no more WAL a row than an UPDATE of the table without the trigger' : 'keeps the triggers in place (writers would see the table without them), and pays the row lock', async () => {
		const plain = await plainWalPerRow();
		const {before, walPerRow} = await expandThenBackfill();
		const after = (await db.query<{oid: number; name: string; definition: string; enabled: string}>(triggers)).rows;
		expect(before.map(trigger => trigger.name)).toEqual([expect.stringMatching(/^~zdm_users_/)]);
		expect(after.map(({name, definition, enabled}) => ({name, definition, enabled}))).toEqual(before.map(({name, definition, enabled}) => ({name, definition, enabled})));
		if (backend === 'pglite') {
			expect(writtenOnce(walPerRow, plain), `${walPerRow.toFixed(0)} B a row against ${plain.toFixed(0)} B`).toBe(true);
		} else {
			// The very same trigger: never dropped, not even inside a batch.
			expect(after.map(trigger => trigger.oid)).toEqual(before.map(trigger => trigger.oid));
			expect(writtenOnce(walPerRow, plain), `${walPerRow.toFixed(0)} B a row against ${plain.toFixed(0)} B`).toBe(false);
		}
	});

	it('leaves the sync trigger working after the backfill, whatever search_path the application set meanwhile: the old application\'s writes still fill the new column', async () => {
		const {executor} = await expandThenBackfill({searchPath: backend === 'pglite' ? 'public_MIG-001' : undefined});
		await db.query("UPDATE users SET username = 'renamed' WHERE id = 2");
		await db.query("INSERT INTO users (username, email) VALUES ('newcomer', 'new@example.com')");
		const {rows: found} = await db.query<{username: string; display_name: string}>("SELECT username, display_name FROM users WHERE username IN ('renamed', 'newcomer') ORDER BY username");
		expect(found).toEqual([
			{username: 'newcomer', display_name: 'Newcomer'},
			{username: 'renamed', display_name: 'Renamed'},
		]);
		const {rows: wrong} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users WHERE display_name IS DISTINCT FROM initcap(username)');
		expect(wrong[0]!.count).toBe(0);
		expect(await executor.run()).toEqual({outcome: 'complete'});
	});

	it('leaves a table with a BEFORE UPDATE trigger of the user\'s own as it is: every row is locked for that one anyway', async () => {
		const plain = await plainWalPerRow();
		const {before, walPerRow} = await expandThenBackfill({userTrigger: true});
		const after = (await db.query<{oid: number; name: string; definition: string}>(triggers)).rows;
		expect(after).toEqual(before);
		expect(after.map(trigger => trigger.name)).toEqual(['touch_email', expect.stringMatching(/^~zdm_users_/)]);
		expect(writtenOnce(walPerRow, plain)).toBe(false);
	});
});
