import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {openPostgres} from '../../source/db/postgres.js';
import type {Database} from '../../source/db/database.js';
import {openRehearsalCopy, type RehearsalCopy} from '../../source/services/rehearse.js';
import {serverUrl} from '../support/databases.js';
import {allRowHashes, createShop, shopSchemaLines, targetSnapshot, type Shop} from '../support/shop.js';

// Two objects generated rows cannot satisfy: a code pattern no made-up text meets, and a key
// that must point into its own table. And a partitioned table with an identity, a generated
// column, a domain, an array of an enum, and a column named t.
const unsatisfiable = `
CREATE TABLE coupons (code text PRIMARY KEY CHECK (code ~ '^[A-Z]{4}$'));
INSERT INTO coupons VALUES ('ABCD'), ('WXYZ');
CREATE TABLE categories (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES categories (id));
INSERT INTO categories VALUES (1, 1), (2, 1);
ANALYZE coupons, categories;
CREATE SCHEMA app;
CREATE DOMAIN app.positive AS int CHECK (VALUE > 0);
CREATE TABLE app.events (id bigint GENERATED ALWAYS AS IDENTITY, at date NOT NULL, moods order_status[], score app.positive NOT NULL, doubled int GENERATED ALWAYS AS (score * 2) STORED, t time, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE app.events_2020 PARTITION OF app.events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE app.events_2021 PARTITION OF app.events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
INSERT INTO app.events (at, score, t) SELECT DATE '2020-01-01' + g, 1 + g, TIME '10:00' FROM generate_series(0, 700) g;
ANALYZE app.events;
`;

describe.skipIf(!serverUrl())('rehearse: a copy of a server schema in the embedded database', () => {
	let shop: Shop;
	let target: Database;
	beforeAll(async () => {
		shop = await createShop(unsatisfiable);
		target = await openPostgres(shop.url);
	});
	afterAll(async () => {
		await target?.close();
		await shop?.drop();
	});

	async function withCopy(options: {rows?: number; copyRows?: number}, check: (copy: RehearsalCopy) => Promise<void>) {
		// Read as a role that can write nothing at all: any write would fail the copy.
		const copy = await openRehearsalCopy({from: shop.readerUrl, ...options});
		try {
			await check(copy);
		} finally {
			await copy.db.close();
		}
	}

	it('copies tables, keys, indexes, CHECKs, the enum, function, trigger, view, owner and grant; the target is unchanged', async () => {
		const before = await targetSnapshot(shop.url, target);
		await withCopy({}, async ({db, report}) => {
			// The same schema, but for the key generated rows cannot satisfy, and PostgreSQL 17's MAINTAIN privilege (m) the owner has there.
			const expected = (await shopSchemaLines(target)).map(line => (line.startsWith('constraint categories_parent_id_fkey') ? `${line} NOT VALID` : line));
			expect((await shopSchemaLines(db)).map(line => line.replace('=arwdDxtm/', '=arwdDxt/'))).toEqual(expected);
			expect(report.reader).toMatch(/^pg_dump \d+/);
			expect(report.extensions).toEqual(['citext']);
			expect(report.roles).toEqual([shop.owner]);
			// PGlite has no pgstattuple: one line for it (its comment is not listed again), and the rest goes on.
			expect(report.skipped).toEqual([{object: 'extension pgstattuple', reason: 'extension "pgstattuple" is not available'}]);
		});
		expect(await targetSnapshot(shop.url, target)).toEqual(before);
	});

	it('generates rows that satisfy every constraint they can, and says which they cannot', async () => {
		await withCopy({rows: 1500}, async ({db, report}) => {
			const rows = Object.fromEntries(report.tables.map(table => [table.table, table]));
			// Never more than the target holds (its estimate), up to --rows.
			expect(rows.customers).toMatchObject({wanted: 300, rows: 300, production: 300});
			expect(rows.products).toMatchObject({wanted: 40, rows: 40});
			expect(rows.orders).toMatchObject({wanted: 1500, rows: 1500, production: 2000});
			// Random (order, product) pairs: a few repeat the primary key and are left out.
			expect(rows.order_items!.rows).toBeGreaterThan(1400);
			expect(rows.order_items!.rows + Number(/^(\d+) would repeat/.exec(rows.order_items!.note ?? '0 would repeat')![1])).toBe(1500);
			// Made-up text never matches ^[A-Z]{4}$: every row broke the CHECK and was deleted, so the CHECK still holds.
			expect(rows.coupons).toMatchObject({rows: 0, note: '2 broke a CHECK and were left out'});
			// A key into its own table cannot be picked from rows not made yet: NOT VALID, and said so.
			expect(report.notValid.map(constraint => constraint.constraint)).toEqual(['public.categories categories_parent_id_fkey']);
			expect(report.notValid[0]!.reason).toMatch(/^rows in the copy break it \(Key \(parent_id\)=\(\d+\) is not present in table "categories"\)$/);
			const {rows: invalid} = await db.query<{name: string}>("SELECT conname AS name FROM pg_constraint WHERE NOT convalidated AND connamespace = 'public'::regnamespace");
			expect(invalid.map(row => row.name)).toEqual(['categories_parent_id_fkey']);
			// Every other constraint was checked when it was added; a spot check of what the generator aimed at:
			const {rows: checks} = await db.query<{orphans: number; ratings: number; quantities: number; statuses: number; emails: number}>(`SELECT
				(SELECT count(*)::int FROM order_items i LEFT JOIN orders o ON o.id = i.order_id WHERE o.id IS NULL) AS orphans,
				(SELECT count(DISTINCT rating)::int FROM products) AS ratings,
				(SELECT count(*)::int FROM order_items WHERE quantity BETWEEN 1 AND 100) AS quantities,
				(SELECT count(DISTINCT status)::int FROM orders) AS statuses,
				(SELECT count(DISTINCT email)::int FROM customers) AS emails`);
			expect(checks[0]).toEqual({orphans: 0, ratings: 5, quantities: rows.order_items!.rows, statuses: 4, emails: 300});
			// Rows that fit no partition are left out; the rest are in their partitions, with the identity and generated column filled.
			expect(rows.events).toMatchObject({wanted: 701, production: 701, note: expect.stringMatching(/^\d+ would repeat a unique key or fit no partition and were left out$/) as string});
			expect(rows.events!.rows).toBeGreaterThan(100);
			const {rows: events} = await db.query<{rows: number; wrong: number}>('SELECT count(*)::int AS rows, count(*) FILTER (WHERE doubled <> score * 2 OR id IS NULL OR score <= 0)::int AS wrong FROM app.events');
			expect(events[0]).toEqual({rows: rows.events!.rows, wrong: 0});
			// The sequences go on after the rows: the next order does not collide.
			await db.query('INSERT INTO orders (customer_id) VALUES (1)');
		});
	});

	it('--copy-rows copies real rows as they are, and adds a key the sample breaks NOT VALID', async () => {
		const before = await allRowHashes(target);
		await withCopy({copyRows: 100}, async ({db, report}) => {
			expect(report.rows).toEqual({mode: 'copied', perTable: 100});
			expect(db.label).toMatch(/up to 100 REAL rows a table/);
			const hashes = await allRowHashes(db);
			// products has 40 rows: all of them, identical; customers: 100 of its 300.
			expect(hashes.find(line => line.startsWith('public.products:'))).toBe(before.find(line => line.startsWith('public.products:')));
			expect(report.tables.find(table => table.table === 'customers')).toMatchObject({rows: 100, production: 300});
			const sample = await db.query<{row: string}>('SELECT c::text AS row FROM customers c ORDER BY id');
			const real = await target.query<{row: string}>('SELECT c::text AS row FROM customers c WHERE id = ANY($1::bigint[]) ORDER BY id', [sample.rows.map(row => /^\((\d+),/.exec(row.row)![1])]);
			expect(sample.rows).toEqual(real.rows);
			// The partitioned table, its identity and the column named t come over as they are.
			const events = await db.query<{row: string}>('SELECT e::text AS row FROM app.events e ORDER BY id');
			expect(events.rows).toHaveLength(100);
			expect(events.rows).toEqual((await target.query<{row: string}>('SELECT e::text AS row FROM app.events e WHERE id <= 100 ORDER BY id')).rows);
			// 100 orders of 2,000 point at customers 2 to 101: customer 101 was not sampled.
			expect(report.notValid.map(constraint => constraint.constraint)).toContain('public.orders orders_customer_id_fkey');
		});
		expect(await allRowHashes(target)).toEqual(before);
	});

	it('refuses a target it cannot reach, in one line', async () => {
		const url = shop.url.replace(/\/[^/]+$/, '/no_such_database');
		await expect(openRehearsalCopy({from: url})).rejects.toThrow(/^cannot connect to postgres:\/\/…@127\.0\.0\.1:\d+\/no_such_database: database "no_such_database" does not exist$/);
	});

	it('reads nothing it may not: a role without SELECT on a table is refused by pg_dump, in one line', async () => {
		const client = new pg.Client({connectionString: shop.url});
		await client.connect();
		const role = `${shop.owner}_blind`;
		try {
			await client.query(`CREATE ROLE "${role}" LOGIN`);
			await expect(openRehearsalCopy({from: shop.url.replace('//postgres@', `//${role}@`)})).rejects.toThrow(/^pg_dump could not read the schema: .*permission denied/);
		} finally {
			await client.query(`DROP ROLE IF EXISTS "${role}"`);
			await client.end();
		}
	});
});
