import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {describeOperation, rowsOf} from '../../support/operation-cases.js';

const setup = `CREATE TABLE fruits (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE, origin text);
CREATE INDEX fruits_origin_partial ON fruits USING btree (lower(origin) DESC NULLS LAST) WITH (fillfactor = 80) WHERE origin IS NOT NULL;
COMMENT ON INDEX fruits_origin_partial IS 'for the origin search';
INSERT INTO fruits (name, origin) SELECT 'fruit ' || g, 'farm ' || (g % 5) FROM generate_series(1, 40) g;
ALTER TABLE fruits ADD COLUMN later int;`;

const exists = async (db: Parameters<typeof rowsOf>[0], name: string) => (await rowsOf(db, `SELECT to_regclass('${name}') IS NOT NULL AS found`))[0]!.found;

describeOperation('drop_index', [
	{
		name: 'an expression index with options, a predicate and a comment',
		setup,
		// A contract step after it fails in the every-step test: the rollback builds the index again exactly.
		operations: [{drop_index: {name: 'fruits_origin_partial'}}, {rename_column: {table: 'fruits', from: 'later', to: 'eventually'}}],
		async afterStart({db}) {
			// Both versions still use it until contract.
			expect(await exists(db, 'fruits_origin_partial')).toBe(true);
		},
		async afterComplete({db}) {
			expect(await exists(db, 'fruits_origin_partial')).toBe(false);
			expect(await rowsOf(db, "SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'fruits'::regclass")).toEqual([{n: 2}]);
		},
	},
]);

describe('drop_index, before anything runs', () => {
	it('refuses an index a constraint owns, and one that does not exist', async () => {
		const db = await openPglite();
		try {
			await db.script(setup);
			const catalog = await readCatalog(db);
			expect(() => compilePlan(plan({id: 'D', operations: [{drop_index: {name: 'fruits_name_key'}}]}), catalog)).toThrow(/index "fruits_name_key" backs constraint "fruits_name_key"/);
			expect(() => compilePlan(plan({id: 'D', operations: [{drop_index: {name: 'nope'}}]}), catalog)).toThrow(/index "nope" does not exist/);
			const {plan: compiled} = compilePlan(plan({id: 'D', operations: [{drop_index: {name: 'fruits_origin_partial'}}]}), catalog);
			expect(compiled.steps[1]).toMatchObject({phase: 'CONTRACTING', kind: 'concurrent', forward: ['DROP INDEX CONCURRENTLY "public"."fruits_origin_partial"']});
		} finally {
			await db.close();
		}
	});
});
