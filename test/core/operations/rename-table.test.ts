import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {columnsOf, describeOperation, rowsOf, sees} from '../../support/operation-cases.js';

const setup = `CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE, email text);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id bigint REFERENCES customers (id));
CREATE VIEW customer_names AS SELECT id, name FROM customers;
INSERT INTO customers (name, email) SELECT 'c' || g, g || '@example.com' FROM generate_series(1, 25) g;
INSERT INTO orders (customer_id) SELECT g FROM generate_series(1, 25) g;`;

describeOperation('rename_table', [
	{
		name: 'a referenced table with a dependent view',
		setup,
		operations: [{rename_table: {from: 'customers', to: 'clients'}}],
		async afterStart({v1, v2}) {
			// The new version knows only the new name (a view alias); the old one only the old name.
			expect(await sees(v2, 'clients')).toBe(true);
			expect(await sees(v2, 'customers')).toBe(false);
			expect(await columnsOf(v2, 'clients')).toEqual(['id', 'name', 'email']);
			expect(await sees(v1, 'customers')).toBe(true);
			expect(await sees(v1, 'clients')).toBe(false);
			// Both write the same rows.
			await v2.query("INSERT INTO clients (name) VALUES ('from v2')");
			expect(await rowsOf(v1, "SELECT name FROM customers WHERE name = 'from v2'")).toEqual([{name: 'from v2'}]);
			await v1.query("DELETE FROM customers WHERE name = 'from v2'");
		},
		async afterComplete({db, v2}) {
			expect(await sees(db, 'clients')).toBe(true);
			expect(await sees(db, 'customers')).toBe(false);
			expect(await rowsOf(db, "SELECT pg_get_viewdef('customer_names'::regclass) ~ 'clients' AS follows")).toEqual([{follows: true}]);
			expect(await rowsOf(db, "SELECT confrelid::regclass::text AS target FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'")).toEqual([{target: 'clients'}]);
			expect(await rowsOf(v2, 'SELECT count(*)::int AS n FROM clients')).toEqual([{n: 25}]);
		},
	},
]);

describe('rename_table, before anything runs', () => {
	it('refuses a name taken, and a later operation on the renamed table in the same migration', async () => {
		const db = await openPglite();
		try {
			await db.script(setup);
			const catalog = await readCatalog(db);
			expect(() => compilePlan(plan({id: 'R', operations: [{rename_table: {from: 'customers', to: 'orders'}}]}), catalog)).toThrow(/table "orders" already exists/);
			expect(() => compilePlan(plan({id: 'R', operations: [{rename_table: {from: 'customers', to: 'orders_pkey'}}]}), catalog)).toThrow(/already the name of an index on "orders"/);
			expect(() => compilePlan(plan({id: 'R', operations: [{rename_table: {from: 'customers', to: 'clients'}}, {add_column: {table: 'clients', column: {name: 'x', type: 'int', nullable: true}}}]}), catalog)).toThrow(
				/table "clients" is renamed by an earlier operation of this migration/,
			);
		} finally {
			await db.close();
		}
	});
});
