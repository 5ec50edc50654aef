import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Database, Queryable} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {moveWindow, readUsersWindow} from '../../source/ui/data/users-window.js';

let db: Database;

beforeAll(async () => {
	db = await openPglite();
	await seedUsers(db, {rows: 1000});
});

afterAll(async () => db.close());

describe('users window', () => {
	it('reads the first rows in key order (numeric, not text), every column as text', async () => {
		const window = await readUsersWindow(db, {table: 'users', after: null, limit: 12});
		expect(window.key).toBe('id');
		expect(window.columns).toEqual(['id', 'username', 'email']);
		expect(window.rows.map(row => row.key)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
		expect(window.rows[0]!.cells).toEqual({id: '1', username: 'alice', email: 'alice@example.com'});
		expect(window.estimatedRows).toBeGreaterThan(900);
	});

	it('shows the columns as they are now: a new one appears (NULL), a dropped one vanishes', async () => {
		await db.query('ALTER TABLE users ADD COLUMN display_name text');
		await db.query("UPDATE users SET display_name = initcap(username) WHERE id = 1");
		let window = await readUsersWindow(db, {table: 'users', after: null, limit: 2});
		expect(window.columns).toEqual(['id', 'username', 'email', 'display_name']);
		expect(window.rows.map(row => row.cells.display_name)).toEqual(['Alice', null]);
		await db.query('ALTER TABLE users DROP COLUMN display_name');
		window = await readUsersWindow(db, {table: 'users', after: null, limit: 2});
		expect(window.columns).toEqual(['id', 'username', 'email']);
	});

	it('scrolls by keyset: down, up, never before the first row nor past the last', async () => {
		let window = await readUsersWindow(db, {table: 'users', after: null, limit: 5});
		let after = await moveWindow(db, window, 5);
		expect(after).toBe('5');
		window = await readUsersWindow(db, {table: 'users', after, limit: 5});
		expect(window.rows[0]!.key).toBe('6');
		after = await moveWindow(db, window, -2);
		expect(after).toBe('3');
		window = await readUsersWindow(db, {table: 'users', after, limit: 5});
		expect(await moveWindow(db, window, -10)).toBeNull();
		window = await readUsersWindow(db, {table: 'users', after: '995', limit: 5});
		const end = await moveWindow(db, window, 50);
		// The last row (1002) stays on screen.
		expect(end).toBe('1001');
	});

	it('reads a page through the primary key index, so its cost does not grow with the table', async () => {
		// EXPLAIN exactly the statements readUsersWindow sends: a recording Queryable in front of the database.
		const sent: Array<{sql: string; params?: unknown[]}> = [];
		const recording: Queryable = {
			query: async (sql, params) => {
				sent.push({sql, params});
				return db.query(sql, params);
			},
			script: async sql => db.script(sql),
		};
		for (const after of [null, '500']) {
			sent.length = 0;
			const window = await readUsersWindow(recording, {table: 'users', after, limit: 10});
			expect(window.rows).toHaveLength(10);
			const page = sent.filter(({sql}) => /FROM "public"\."users"/.test(sql));
			expect(page, 'one statement reads the page').toHaveLength(1);
			const {rows} = await db.query<{'QUERY PLAN': string}>(`EXPLAIN ${page[0]!.sql}`, page[0]!.params);
			const plan = rows.map(row => row['QUERY PLAN']).join('\n');
			expect(plan).toMatch(/Limit/);
			expect(plan).toMatch(/Index (Only )?Scan using users_pkey/);
			expect(plan).not.toMatch(/Sort|Seq Scan/);
		}
	});

	it('reads a version schema\'s view under its names, paging by the table\'s key as the view names it, through the index', async () => {
		await db.script(`CREATE SCHEMA "public_MIG-9"; CREATE VIEW "public_MIG-9".users AS SELECT id AS user_id, username, email AS contact_email FROM public.users`);
		try {
			let window = await readUsersWindow(db, {schema: 'public_MIG-9', table: 'users', after: null, limit: 3});
			expect(window).toMatchObject({schema: 'public_MIG-9', key: 'user_id', columns: ['user_id', 'username', 'contact_email']});
			expect(window.rows[0]!.cells).toEqual({user_id: '1', username: 'alice', contact_email: 'alice@example.com'});
			expect(window.estimatedRows).toBeGreaterThan(900);
			const after = await moveWindow(db, window, 3);
			window = await readUsersWindow(db, {schema: 'public_MIG-9', table: 'users', after, limit: 3});
			expect(window.rows.map(row => row.key)).toEqual(['4', '5', '6']);
			await db.query('SET enable_seqscan = off');
			const {rows} = await db.query<{'QUERY PLAN': string}>('EXPLAIN SELECT t."contact_email"::text FROM "public_MIG-9"."users" AS t WHERE t."user_id" > $1 ORDER BY t."user_id" LIMIT $2', ['500', 10]);
			const plan = rows.map(row => row['QUERY PLAN']).join('\n');
			expect(plan).toMatch(/Index (Only )?Scan using users_pkey/);
			expect(plan).not.toMatch(/Sort/);
			expect((await readUsersWindow(db, {schema: 'public_MIG-10', table: 'users', after: null, limit: 3, missing: 'not there yet'})).unavailable).toBe('not there yet');
		} finally {
			await db.query('RESET enable_seqscan');
			await db.script('DROP VIEW "public_MIG-9".users; DROP SCHEMA "public_MIG-9"');
		}
	});

	it('shows the first rows of a table without a key, numbered, and says when there is no table', async () => {
		await db.query('CREATE TABLE no_key (a int)');
		await db.query('INSERT INTO no_key SELECT generate_series(1, 9)');
		const window = await readUsersWindow(db, {table: 'no_key', after: null, limit: 5});
		expect([window.unavailable, window.key, window.rows.length]).toEqual([undefined, '', 5]);
		expect(window.rows[0]).toEqual({key: '1', cells: {a: '1'}});
		expect(await moveWindow(db, window, 3)).toBeNull();
		// Through a version schema's view too, with the table's estimate.
		await db.script('ANALYZE no_key; CREATE SCHEMA "public_MIG-11"; CREATE VIEW "public_MIG-11".no_key AS SELECT a AS b FROM public.no_key');
		const viewed = await readUsersWindow(db, {schema: 'public_MIG-11', table: 'no_key', after: null, limit: 2});
		expect([viewed.estimatedRows, viewed.rows]).toEqual([9, [{key: '1', cells: {b: '1'}}, {key: '2', cells: {b: '2'}}]]);
		await db.script('DROP VIEW "public_MIG-11".no_key; DROP SCHEMA "public_MIG-11"');
		expect((await readUsersWindow(db, {table: 'missing', after: null, limit: 5})).unavailable).toMatch(/no table "missing"/);
	});
});
