import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {loadSqlParser} from '../../../source/core/lint/sql/parser.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {describeOperation, refuses, rowsOf} from '../../support/operation-cases.js';

const setup = `CREATE TABLE fruits (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, origin text, tags text[] NOT NULL DEFAULT '{}', price numeric(10,2), doc tsvector);
INSERT INTO fruits (name, origin, tags, price) SELECT 'fruit ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'farm ' || (g % 5) END, ARRAY['t' || (g % 4)], g FROM generate_series(1, 60) g;`;

const indexdef = async (db: {query: (sql: string) => Promise<{rows: unknown[]}>}, name: string) => (await rowsOf(db as never, `SELECT pg_get_indexdef(to_regclass('${name}')) AS d`))[0]!.d;

describeOperation('create_index', [
	{
		name: 'columns as a map with collate, sort, nulls and opclass; partial; storage parameters; unique',
		setup,
		operations: [
			{
				create_index: {
					table: 'fruits',
					name: 'fruits_name_origin',
					columns: {name: {collate: 'C', sort: 'DESC', nulls: 'LAST', opclass: {name: 'text_pattern_ops'}}, origin: {nulls: 'FIRST'}},
					predicate: 'price > 10',
					storage_parameters: 'fillfactor = 70, deduplicate_items = off',
					unique: true,
				},
			},
		],
		async afterStart({db, v2}) {
			expect(await indexdef(db, 'fruits_name_origin')).toBe(
				'CREATE UNIQUE INDEX fruits_name_origin ON public.fruits USING btree (name COLLATE "C" text_pattern_ops DESC NULLS LAST, origin NULLS FIRST) WITH (fillfactor=\'70\', deduplicate_items=off) WHERE (price > (10)::numeric)',
			);
			await refuses(v2, "INSERT INTO fruits (name, origin, price) VALUES ('fruit 20', 'farm 0', 11)", /fruits_name_origin/);
		},
		async afterComplete({db}) {
			expect(await rowsOf(db, "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'fruits_name_origin'::regclass")).toEqual([{valid: true}]);
		},
	},
	{
		name: 'pgroll\'s list of fields, a gin method, an opclass with parameters',
		setup,
		operations: [
			{create_index: {table: 'fruits', name: 'fruits_tags', columns: [{column: 'tags'}], method: 'gin'}},
			{create_index: {table: 'fruits', name: 'fruits_name_hash', columns: [{column: 'name', opclass: {name: 'text_pattern_ops'}}], method: 'hash', storage_parameters: 'fillfactor = 70'}},
			{create_index: {table: 'fruits', name: 'fruits_doc', columns: [{column: 'doc', opclass: {name: 'tsvector_ops', params: ['siglen = 100']}}], method: 'gist'}},
			{create_index: {table: 'fruits', name: 'fruits_price_brin', columns: ['price'], method: 'brin', storage_parameters: 'pages_per_range = 16'}},
		],
		async afterStart({db}) {
			expect(await indexdef(db, 'fruits_tags')).toBe('CREATE INDEX fruits_tags ON public.fruits USING gin (tags)');
			expect(await indexdef(db, 'fruits_name_hash')).toBe("CREATE INDEX fruits_name_hash ON public.fruits USING hash (name text_pattern_ops) WITH (fillfactor='70')");
			expect(await indexdef(db, 'fruits_doc')).toBe('CREATE INDEX fruits_doc ON public.fruits USING gist (doc tsvector_ops (siglen=\'100\'))');
			expect(await indexdef(db, 'fruits_price_brin')).toBe("CREATE INDEX fruits_price_brin ON public.fruits USING brin (price) WITH (pages_per_range='16')");
		},
		async afterComplete({db}) {
			expect(await rowsOf(db, "SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'fruits'::regclass AND indisvalid")).toEqual([{n: 5}]);
		},
	},
]);

describe('create_index, before anything runs', () => {
	it.each([
		[{unique: true, method: 'hash'}, /builds unique indexes with btree only/],
		[{method: 'gin', columns: [{column: 'tags', sort: 'DESC'}]}, /a gin index has no order/],
		[{name: 'fruits_pkey'}, /already the name of an index on "fruits"/],
		[{columns: ['nope']}, /column "nope" does not exist/],
		[{storage_parameters: 'fillfactor = 70); DROP TABLE fruits; --'}, /2 statements|cannot read/],
	])('%j is refused', async (fields, message) => {
		await loadSqlParser();
		const db = await openPglite();
		try {
			await db.script(setup);
			const file = plan({id: 'I', operations: [{create_index: {table: 'fruits', name: 'i', columns: ['name'], ...fields}}]});
			const catalog = await readCatalog(db);
			expect(() => compilePlan(file, catalog)).toThrow(message);
		} finally {
			await db.close();
		}
	});
});
