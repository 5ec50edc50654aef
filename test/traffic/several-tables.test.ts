import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {seedUsers} from '../../source/db/seed.js';
import {prepareTraffic} from '../../source/traffic/index.js';
import {backends, openBackend} from '../support/databases.js';
import {resetMigrations} from '../support/reset.js';

/** Three tables: the demo's users, orders with a serial key, and events with no key at all, whose rows refuse any write. */
async function seedThreeTables(db: Database) {
	await resetMigrations(db);
	await seedUsers(db, {rows: 200, force: true});
	await db.query('DROP TABLE IF EXISTS orders, events');
	await db.query('CREATE TABLE orders (order_id serial PRIMARY KEY, note text)');
	await db.query("INSERT INTO orders (note) SELECT 'order ' || g FROM generate_series(1, 200) AS g");
	await db.query('CREATE TABLE events (kind text, at timestamptz DEFAULT now())');
	await db.query("INSERT INTO events (kind) VALUES ('signup'), ('login'), ('logout')");
	await db.query("CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'events is read-only'; END $$");
	await db.query('CREATE TRIGGER events_read_only BEFORE INSERT OR UPDATE OR DELETE ON events FOR EACH STATEMENT EXECUTE FUNCTION refuse_write()');
}

const plan = validatePlan({
	id: 'MIG-TABLES',
	operations: [
		{rename_column: {table: 'users', from: 'username', to: 'handle'}},
		{rename_column: {table: 'orders', from: 'note', to: 'memo'}},
		{add_column: {table: 'events', column: {name: 'source', type: 'text', nullable: true}}},
	],
});

/** Rows written by a version under a column name: each version's values carry both (see valueFor). */
const written = async (db: Database, table: string, column: string, prefix: string) =>
	(await db.query<{n: number}>(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} LIKE $1`, [`${prefix}-%`])).rows[0]!.n;

describe.each(backends())('traffic over a plan that touches several tables, on %s', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 10));
	});
	afterAll(async () => close());

	it("v1 and v2 each use their own names on every table, and a table without a key is only read", async () => {
		await seedThreeTables(db);
		const {plan: compiled} = compilePlan(plan, await readCatalog(db));
		const traffic = await prepareTraffic(db, plan, compiled, {rate: 100, thresholdMs: 30_000, publishMs: 20});
		const shape = (version: 'v1' | 'v2') => traffic.version(version).tables.map(table => [table.table, table.key, table.columns.map(column => column.name).join(',')]);
		expect(shape('v1')).toEqual([
			['users', 'id', 'username,email'],
			['orders', 'order_id', 'note'],
			['events', undefined, 'kind,at'],
		]);
		expect(shape('v2')).toEqual([
			['users', 'id', 'handle,email'],
			['orders', 'order_id', 'memo'],
			['events', undefined, 'kind,at,source'],
		]);

		const executor = await Executor.open(db, compiled, {batchSize: 50});
		traffic.start();
		// v1 stays live after expand (a rename has nothing to migrate): both are checked, then v1 retires.
		const stop = traffic.follow(executor, {retireBeforeContract: false});
		try {
			while (executor.next?.phase === 'EXPANDING') expect((await executor.step()).outcome).toBe('executed');
			// Both live: the values each version wrote name the column as that version knows it.
			const deadline = Date.now() + 30_000;
			const counts = async () => [await written(db, 'users', 'username', 'v1-username'), await written(db, 'users', 'username', 'v2-handle'), await written(db, 'orders', 'note', 'v1-note'), await written(db, 'orders', 'note', 'v2-memo')];
			while ((await counts()).includes(0) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
			expect(await counts()).not.toContain(0);
			expect(traffic.getSnapshot().versions.v2.columns).toEqual(['users.handle', 'users.email', 'orders.memo', 'events.kind', 'events.at', 'events.source']);

			// Asked to write to events, a version reads it instead (any write would raise).
			const session = await db.session({schema: traffic.version('v2').schema});
			try {
				for (const kind of ['insert', 'update', 'read'] as const) expect(await traffic.version('v2').request(session, kind, () => 0.99, 1)).toBe(true);
			} finally {
				await session.release();
			}

			await traffic.retire('v1');
			expect((await executor.run()).outcome).toBe('complete');
		} finally {
			stop();
			await traffic.stop();
		}

		const final = traffic.getSnapshot();
		expect(final.versions.v1.errors).toBe(0);
		expect(final.versions.v2.errors).toBe(0);
		expect(final.versions.v1.requests).toBeGreaterThan(0);
		expect((await db.query('SELECT kind FROM events ORDER BY kind')).rows).toEqual([{kind: 'login'}, {kind: 'logout'}, {kind: 'signup'}]);
	});
});
