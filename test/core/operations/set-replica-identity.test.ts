import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {describeOperation, rowsOf} from '../../support/operation-cases.js';

const setup = `CREATE TABLE fruits (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, CONSTRAINT fruits_name_key UNIQUE (name));
CREATE TABLE baskets (id int PRIMARY KEY);
ALTER TABLE fruits REPLICA IDENTITY FULL;
INSERT INTO fruits (name) SELECT 'f' || g FROM generate_series(1, 10) g;
ALTER TABLE fruits ADD COLUMN later int;`;

const identity = async (db: Parameters<typeof rowsOf>[0]) =>
	(await rowsOf(db, "SELECT c.relreplident AS kind, (SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS index FROM pg_class c WHERE c.oid = 'fruits'::regclass"))[0];

describeOperation('set_replica_identity', [
	{
		name: 'from FULL to an index, and back exactly on rollback (pgroll leaves it)',
		setup,
		// A contract step after it fails in the every-step test, so the rollback must set FULL again.
		operations: [{set_replica_identity: {table: 'fruits', identity: {type: 'index', index: 'fruits_name_key'}}}, {rename_column: {table: 'fruits', from: 'later', to: 'eventually'}}],
		async afterStart({db}) {
			// Applied to the table at start, so both versions share it.
			expect(await identity(db)).toEqual({kind: 'i', index: 'fruits_name_key'});
		},
		async afterComplete({db}) {
			expect(await identity(db)).toEqual({kind: 'i', index: 'fruits_name_key'});
		},
	},
	{
		name: 'nothing, from the table\'s FULL',
		setup,
		operations: [{set_replica_identity: {table: 'fruits', identity: {type: 'nothing', index: ''}}}, {rename_column: {table: 'fruits', from: 'later', to: 'eventually'}}],
		async afterStart({db}) {
			expect(await identity(db)).toEqual({kind: 'n', index: null});
		},
		async afterComplete({db}) {
			expect(await identity(db)).toEqual({kind: 'n', index: null});
		},
	},
]);

describe('set_replica_identity, before anything runs', () => {
	it('refuses an unknown type, a missing index and one that is not unique', async () => {
		const db = await openPglite();
		try {
			await db.script(`${setup} CREATE INDEX fruits_later ON fruits (later);`);
			const catalog = await readCatalog(db);
			const attempt = (identity: Record<string, string>) => () => compilePlan(plan({id: 'S', operations: [{set_replica_identity: {table: 'fruits', identity}}]}), catalog);
			expect(attempt({type: 'partial', index: ''})).toThrow(/"partial" is no replica identity/);
			expect(attempt({type: 'index', index: 'baskets_pkey'})).toThrow(/"fruits" has no index "baskets_pkey"/);
			expect(attempt({type: 'index', index: 'fruits_later'})).toThrow(/"fruits_later" is not unique/);
			expect(attempt({type: 'DEFAULT', index: ''})).not.toThrow();
		} finally {
			await db.close();
		}
	});
});
