import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {assumedCatalog} from '../../../source/core/lint/assumed-catalog.js';
import {loadSqlParser} from '../../../source/core/lint/sql/parser.js';
import {plan} from '../../support/exact.js';
import {columnsOf, describeOperation, refuses, rowsOf, sees} from '../../support/operation-cases.js';

const setup = `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, username text NOT NULL UNIQUE);
INSERT INTO users (username) SELECT 'user' || g FROM generate_series(1, 30) g;`;

/** Every column field pgroll has, and every kind of table constraint with its options. */
const everything = {
	create_table: {
		name: 'orders',
		comment: 'what users buy',
		columns: [
			{name: 'id', type: 'bigint', pk: true, generated: {identity: {user_specified_values: 'BY DEFAULT', sequence_options: 'START 100 INCREMENT 10'}}},
			{name: 'user_id', type: 'bigint', references: {name: 'orders_user_fk', table: 'users', column: 'id', on_delete: 'CASCADE', on_update: 'NO ACTION', match_type: 'FULL', deferrable: true, initially_deferred: true}},
			{name: 'code', type: 'varchar(20)', unique: true, comment: 'the code printed on the receipt'},
			{name: 'quantity', type: 'integer', default: '1', check: {name: 'quantity_positive', constraint: 'quantity > 0', no_inherit: true}},
			{name: 'price', type: 'numeric(10,2)', nullable: true},
			{name: 'total', type: 'numeric(12,2)', nullable: true, generated: {expression: 'quantity * price'}},
			{name: 'placed', type: 'tstzrange', nullable: true},
			{name: 'line', type: 'serial'},
		],
		constraints: [
			{name: 'orders_code_user', type: 'unique', columns: ['code', 'user_id'], nulls_not_distinct: true, deferrable: true, index_parameters: {include_columns: ['price'], storage_parameters: 'fillfactor = 70'}},
			{name: 'orders_price_sane', type: 'check', check: 'price IS NULL OR price >= 0'},
			{name: 'orders_user_code_fk', type: 'foreign_key', columns: ['user_id'], references: {table: 'users', columns: ['id'], on_delete: 'SET NULL', on_delete_set_columns: ['user_id'], on_update: 'CASCADE', match_type: 'SIMPLE'}},
			{name: 'orders_no_overlap', type: 'exclude', exclude: {index_method: 'gist', elements: 'placed WITH &&', predicate: 'price IS NOT NULL'}, deferrable: true},
		],
	},
};

describeOperation('create_table', [
	{
		name: 'every column field and every table constraint',
		setup,
		operations: [everything],
		async afterStart({v1, v2}) {
			// The new version sees the table (a view of its schema); the old one never looks for it.
			expect(await columnsOf(v2, 'orders')).toEqual(['id', 'user_id', 'code', 'quantity', 'price', 'total', 'placed', 'line']);
			expect((await rowsOf(v2, "SELECT relkind FROM pg_class WHERE oid = to_regclass('orders')"))[0]).toEqual({relkind: 'v'});
			// Written through the view: identity from 100, default, generated column, serial, comment.
			const [row] = await rowsOf(v2, "INSERT INTO orders (user_id, code, price) VALUES (1, 'A-1', 2.50) RETURNING id::int, quantity, total::text, line");
			expect(row).toEqual({id: 100, quantity: 1, total: '2.50', line: 1});
			await refuses(v2, "INSERT INTO orders (user_id, code, quantity) VALUES (1, 'A-2', 0)", /quantity_positive/);
			await refuses(v2, "INSERT INTO orders (user_id, code) VALUES (999, 'A-3')", /orders_user_fk|orders_user_code_fk/);
			await refuses(v2, "INSERT INTO orders (user_id, code) VALUES (1, 'A-1')", /orders_code_key|orders_code_user/);
			await v2.query("INSERT INTO orders (user_id, code, price, placed) VALUES (2, 'B-1', 1, '[2024-01-01,2024-01-02)')");
			await refuses(v2, "INSERT INTO orders (user_id, code, price, placed) VALUES (3, 'B-2', 1, '[2024-01-01 12:00,2024-01-03)')", /orders_no_overlap/);
			// The old application's schema has the table physically, but no view: it simply does not use it.
			expect(await sees(v1, 'users')).toBe(true);
			const comments = await rowsOf(v1, "SELECT obj_description('orders'::regclass, 'pg_class') AS t, col_description('orders'::regclass, 3) AS c");
			expect(comments).toEqual([{t: 'what users buy', c: 'the code printed on the receipt'}]);
		},
		async afterComplete({db, v2}) {
			// contype n: PGlite's newer PostgreSQL lists NOT NULL as constraints too.
			const definition = (await rowsOf(db, "SELECT pg_get_constraintdef(oid) AS d, conname FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype <> 'n' ORDER BY conname")).map(row => `${row.conname as string}: ${row.d as string}`);
			expect(definition).toEqual([
				'orders_code_key: UNIQUE (code)',
				'orders_code_user: UNIQUE NULLS NOT DISTINCT (code, user_id) INCLUDE (price) DEFERRABLE',
				'orders_no_overlap: EXCLUDE USING gist (placed WITH &&) WHERE ((price IS NOT NULL)) DEFERRABLE',
				'orders_pkey: PRIMARY KEY (id)',
				'orders_price_sane: CHECK (((price IS NULL) OR (price >= (0)::numeric)))',
				'orders_user_code_fk: FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE SET NULL (user_id)',
				'orders_user_fk: FOREIGN KEY (user_id) REFERENCES users(id) MATCH FULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED',
				'quantity_positive: CHECK ((quantity > 0)) NO INHERIT',
			]);
			expect(await rowsOf(db, "SELECT pg_get_indexdef('orders_code_user'::regclass) ~ 'fillfactor=.?70' AS stored")).toEqual([{stored: true}]);
			await v2.query("INSERT INTO orders (user_id, code) VALUES (5, 'C-1')");
			expect(await rowsOf(db, 'SELECT count(*)::int AS n FROM orders')).toEqual([{n: 1}]);
		},
	},
	{
		name: 'pgroll\'s plain form: serial key, nullable columns, a table-level primary key',
		setup,
		operations: [{create_table: {name: 'items', columns: [{name: 'id', type: 'serial'}, {name: 'name', type: 'varchar(255)', default: "'unnamed'"}, {name: 'note', type: 'text', nullable: true}], constraints: [{name: 'items_pk', type: 'primary_key', columns: ['id']}]}}],
		async afterStart({v2}) {
			expect(await rowsOf(v2, 'INSERT INTO items DEFAULT VALUES RETURNING id, name, note')).toEqual([{id: 1, name: 'unnamed', note: null}]);
			await refuses(v2, 'INSERT INTO items (name) VALUES (NULL)', /null value in column "name"/);
		},
		async afterComplete({db}) {
			expect(await rowsOf(db, "SELECT conname FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype <> 'n'")).toEqual([{conname: 'items_pk'}]);
		},
	},
]);

describe('create_table refuses, before anything runs, what would fail', () => {
	const refusal = async (table: Record<string, unknown>) => {
		await loadSqlParser();
		const file = plan({id: 'R', operations: [{create_table: {name: 't', columns: [{name: 'id', type: 'int', pk: true}], ...table}}]});
		// Lint's catalog without a database, with the users table every case may name.
		const catalog = assumedCatalog(plan({id: 'U', operations: [{create_index: {table: 'users', name: 'i', columns: ['id']}}]}));
		try {
			compilePlan(file, catalog);
		} catch (error) {
			return (error as Error).message;
		}

		return 'no error';
	};

	it.each([
		[{columns: [{name: 'a', type: 'int', pk: true}], constraints: [{name: 'p', type: 'primary_key', columns: ['a']}]}, /primary key is set both on columns \(pk\) and as a constraint/],
		[{columns: [{name: 'a', type: 'int'}, {name: 'a', type: 'text'}]}, /column "a" is defined twice/],
		[{columns: [{name: 'a', type: 'int', generated: {expression: 'a', identity: {}}}]}, /both an expression and an identity/],
		[{constraints: [{name: 'c', type: 'check', check: 'id > 0', deferrable: true}]}, /cannot defer a CHECK constraint/],
		[{constraints: [{name: 'f', type: 'foreign_key', columns: ['id'], references: {table: 'users', columns: ['id'], match_type: 'PARTIAL'}}]}, /does not implement MATCH PARTIAL/],
		[{constraints: [{name: 'f', type: 'foreign_key', columns: ['id'], references: {table: 'users', columns: ['id'], on_delete: 'CASCADE', on_delete_set_columns: ['id']}}]}, /only ON DELETE SET NULL or SET DEFAULT sets chosen columns/],
		[{constraints: [{name: 'u', type: 'unique', columns: ['nope']}]}, /column "nope" does not exist/],
		[{constraints: [{name: 'x', type: 'exclude', exclude: {elements: 'id WITH =); DROP TABLE users; --'}}]}, /its fields make 2 statements|cannot read/],
		[{name: 'users'}, /table "users" already exists/],
	])('%j', async (table, message) => {
		expect(await refusal(table)).toMatch(message);
	});
});
