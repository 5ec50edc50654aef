import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {runChecks} from '../../../source/core/checks.js';
import {loadSqlParser} from '../../../source/core/lint/sql/parser.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {describeOperation, refuses, rowsOf} from '../../support/operation-cases.js';

const setup = `CREATE TABLE sellers (name varchar(255) NOT NULL, zip integer NOT NULL, PRIMARY KEY (name, zip));
CREATE TABLE tickets (ticket_id serial PRIMARY KEY, sellers_name varchar(255), sellers_zip integer, kind text);
INSERT INTO sellers SELECT 'seller ' || g, g FROM generate_series(1, 10) g;
INSERT INTO tickets (sellers_name, sellers_zip, kind) SELECT 'seller ' || g, g, CASE WHEN g % 2 = 0 THEN 'paper' END FROM generate_series(1, 10) g;
INSERT INTO tickets (sellers_name, sellers_zip) VALUES ('alice', -1), (NULL, 3);`;

const same = (columns: string[]) => Object.fromEntries(columns.map(column => [column, column]));
const both = (columns: string[]) => ({columns, up: same(columns), down: same(columns)});
const constraints = async (db: Parameters<typeof rowsOf>[0]) =>
	(await rowsOf(db, "SELECT conname, pg_get_constraintdef(oid) AS def, convalidated AS valid FROM pg_constraint WHERE conrelid = 'tickets'::regclass AND contype <> 'n' ORDER BY conname")).map(row => `${row.conname as string}: ${row.def as string}${row.valid ? '' : ' NOT VALID'}`);

describeOperation('create_constraint', [
	{
		name: 'unique over two columns, through an index built concurrently',
		setup,
		operations: [{create_constraint: {table: 'tickets', name: 'unique_zip_name', type: 'unique', ...both(['sellers_name', 'sellers_zip']), index_parameters: {include_columns: ['kind'], storage_parameters: 'fillfactor = 90'}}}],
		async afterStart({db}) {
			// Added at contract, once the old application is retired: nothing yet.
			expect(await constraints(db)).toEqual(['tickets_pkey: PRIMARY KEY (ticket_id)']);
		},
		async afterComplete({db, v2}) {
			expect(await constraints(db)).toEqual(['tickets_pkey: PRIMARY KEY (ticket_id)', 'unique_zip_name: UNIQUE (sellers_name, sellers_zip) INCLUDE (kind)']);
			expect(await rowsOf(db, "SELECT pg_get_indexdef('unique_zip_name'::regclass) ~ 'fillfactor' AS kept")).toEqual([{kept: true}]);
			await refuses(v2, "INSERT INTO tickets (sellers_name, sellers_zip) VALUES ('seller 1', 1)", /unique_zip_name/);
		},
	},
	{
		name: 'a multi-column foreign key, NOT VALID then VALIDATE',
		// Without the one ticket whose seller does not exist (the checks before the first step would refuse it).
		setup: `${setup} DELETE FROM tickets WHERE sellers_name = 'alice';`,
		operations: [{create_constraint: {table: 'tickets', name: 'fk_sellers', type: 'foreign_key', ...both(['sellers_name', 'sellers_zip']), references: {table: 'sellers', columns: ['name', 'zip'], on_delete: 'CASCADE', match_type: 'SIMPLE'}}}],
		async afterStart({db}) {
			expect(await constraints(db)).toEqual(['tickets_pkey: PRIMARY KEY (ticket_id)']);
		},
		async afterComplete({db}) {
			expect(await constraints(db)).toContain('fk_sellers: FOREIGN KEY (sellers_name, sellers_zip) REFERENCES sellers(name, zip) ON DELETE CASCADE');
		},
	},
	{
		name: 'a check whose up makes the rows fit: the new version sees them fixed, the old one as they were',
		setup,
		operations: [
			{
				create_constraint: {
					table: 'tickets',
					name: 'check_zip_name',
					type: 'check',
					columns: ['sellers_name', 'sellers_zip'],
					check: "sellers_name = 'alice' OR sellers_zip > 0",
					up: {sellers_name: 'sellers_name', sellers_zip: "SELECT CASE WHEN sellers_name != 'alice' AND sellers_zip <= 0 THEN 123 ELSE sellers_zip END"},
					down: {sellers_name: 'sellers_name', sellers_zip: 'sellers_zip'},
				},
			},
		],
		async afterStart({v1, v2}) {
			await v1.query("INSERT INTO tickets (sellers_name, sellers_zip) VALUES ('bob', -5)");
			expect(await rowsOf(v2, "SELECT sellers_zip FROM tickets WHERE sellers_name = 'bob'")).toEqual([{sellers_zip: 123}]);
			expect(await rowsOf(v1, "SELECT sellers_zip FROM tickets WHERE sellers_name = 'bob'")).toEqual([{sellers_zip: -5}]);
			await v1.query("DELETE FROM tickets WHERE sellers_name = 'bob'");
		},
		async afterComplete({db, v2}) {
			expect(await constraints(db)).toContain('check_zip_name: CHECK ((((sellers_name)::text = \'alice\'::text) OR (sellers_zip > 0)))');
			await refuses(v2, "INSERT INTO tickets (sellers_name, sellers_zip) VALUES ('carol', 0)", /check_zip_name/);
		},
	},
	{
		name: 'a primary key on a table without one',
		setup: `CREATE TABLE tasks (id integer, title text NOT NULL); INSERT INTO tasks SELECT g, 't' || g FROM generate_series(1, 30) g;`,
		operations: [{create_constraint: {table: 'tasks', name: 'tasks_pkey', type: 'primary_key', ...both(['id'])}}],
		async afterStart({db}) {
			expect(await rowsOf(db, "SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'tasks'::regclass AND contype = 'p'")).toEqual([{n: 0}]);
		},
		async afterComplete({db}) {
			expect(await rowsOf(db, "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'tasks'::regclass AND contype = 'p'")).toEqual([{def: 'PRIMARY KEY (id)'}]);
			expect(await rowsOf(db, "SELECT attnotnull AS nn FROM pg_attribute WHERE attrelid = 'tasks'::regclass AND attname = 'id'")).toEqual([{nn: true}]);
		},
	},
]);

describe('create_constraint, before anything runs', () => {
	const attempt = async (constraint: Record<string, unknown>) => {
		await loadSqlParser();
		const db = await openPglite();
		try {
			await db.script(setup);
			const {checks} = compilePlan(plan({id: 'C', operations: [{create_constraint: {table: 'tickets', name: 'c', ...constraint}}]}), await readCatalog(db));
			await runChecks(db, checks);
			return 'no error';
		} catch (error) {
			return (error as Error).message;
		} finally {
			await db.close();
		}
	};

	it.each([
		[{type: 'check', check: 'sellers_zip > 0', ...both(['sellers_zip'])}, /1 row of tickets break check "c" \(the first at key "11"\)/],
		[{type: "unique", ...both(["kind"])}, /1 value is held by more than one row of tickets/],
		[{type: 'foreign_key', ...both(['sellers_name', 'sellers_zip']), references: {table: 'sellers', columns: ['name', 'zip']}}, /1 row of tickets reference no row of sellers/],
		[{type: 'foreign_key', ...both(['sellers_zip']), references: {table: 'sellers', columns: ['zip']}}, /no primary key or unique constraint of "sellers" covers exactly "zip"/],
		[{type: 'primary_key', ...both(['sellers_zip'])}, /already has a primary key/],
		[{type: 'unique', columns: ['sellers_zip'], up: {}, down: same(['sellers_zip'])}, /up: no expression for column "sellers_zip"/],
		[{type: 'unique', columns: ['sellers_zip'], up: same(['sellers_zip', 'kind']), down: same(['sellers_zip'])}, /up: "kind" is not a column of the constraint/],
		[{type: 'exclude', ...both(['sellers_zip'])}, /cannot add an exclusion constraint without building its index under an ACCESS EXCLUSIVE lock/],
		[{type: 'check', check: 'sellers_zip > 0', ...both(['sellers_zip']), name: 'tickets_pkey'}, /already has a constraint "tickets_pkey"/],
	])('%j', async (constraint, message) => {
		expect(await attempt(constraint)).toMatch(message);
	});

	it('finds nothing when the rows fit', async () => {
		expect(await attempt({type: 'check', check: 'sellers_zip > -10', ...both(['sellers_zip'])})).toBe('no error');
	});
});
