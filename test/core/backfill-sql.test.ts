import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {backfillForward, keyWalk, recordBatch, walkableKey} from '../../source/core/backfill-sql.js';
import type {ColumnInfo, RowKey, TableInfo} from '../../source/core/catalog.js';
import {compilePlan} from '../../source/core/compile.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';

const column = (name: string, type: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({name, type, notNull: true, default: null, ...extra});
const table = (over: Partial<TableInfo>): TableInfo => ({schema: 'public', name: 'accounts', columns: [column('id', 'bigint'), column('code', 'text'), column('org', 'integer')], primaryKey: [], ...over});
const key = (index: string, primary: boolean, ...columns: string[]): RowKey => ({index, primary, columns: columns.map(name => ({name, type: 'text'}))});

/** The key a backfilled table's rows are named by, read from the catalog or assumed by lint. */
describe('walkableKey', () => {
	it('takes the primary key over any unique index the catalog found', () => {
		expect(walkableKey(table({rowKeys: [key('accounts_code_key', false, 'code'), key('accounts_pkey', true, 'org', 'id')]}))?.index).toBe('accounts_pkey');
	});

	it('without a primary key, takes the unique index over the fewest columns, the first by name on a tie', () => {
		const keys = [key('a_pair', false, 'org', 'code'), key('z_code', false, 'code'), key('m_id', false, 'id')];
		expect(walkableKey(table({rowKeys: keys}))?.index).toBe('m_id');
	});

	it('has none when the catalog found none, whatever the table says its primary key is', () => {
		expect(walkableKey(table({rowKeys: [], primaryKey: ['id']}))).toBeUndefined();
	});

	it("on lint's assumed catalog, is the primary key by its columns' names and types, a renamed column found by either name", () => {
		const renamed = table({columns: [column('account_id', 'uuid', {physical: 'id'}), column('org', 'integer')], primaryKey: ['id', 'org', 'gone']});
		expect(walkableKey(renamed)).toEqual({
			index: 'accounts_pkey',
			primary: true,
			columns: [
				{name: 'id', type: 'uuid'},
				{name: 'org', type: 'integer'},
				// A name the assumed catalog does not know: typed as text.
				{name: 'gone', type: 'text'},
			],
		});
		expect(walkableKey(table({columns: [column('account_id', 'uuid', {physical: 'id'})], primaryKey: ['account_id']}))?.columns).toEqual([{name: 'account_id', type: 'uuid'}]);
	});

	it("on lint's assumed catalog, has none without a primary key", () => {
		expect(walkableKey(table({primaryKey: []}))).toBeUndefined();
	});
});

/** How the verify's statements show and order a row's key, run on a real database. */
describe('keyWalk on PGlite', () => {
	let db: Database;
	beforeAll(async () => {
		db = await openPglite();
		// A key column named like the key's own text column: an unqualified ORDER BY would sort that text.
		await db.query('CREATE TABLE pairs ("key" integer NOT NULL, label text NOT NULL, PRIMARY KEY ("key", label))');
		await db.query(`INSERT INTO pairs VALUES (10, 'b"1'), (2, 'a,2'), (2, 'a')`);
	});
	afterAll(async () => db.close());

	const walked = async (walk: ReturnType<typeof keyWalk>) =>
		(await db.query<{key: string}>(`SELECT ${walk.text('p')} AS key FROM pairs p ORDER BY ${walk.order('p')}`)).rows.map(row => row.key);

	it("shows one column's key as its own text, ordered by the column, not by that text", async () => {
		expect(await walked(keyWalk({index: 'pairs_pkey', primary: true, columns: [{name: 'key', type: 'integer'}]}))).toEqual(['2', '2', '10']);
	});

	it('shows a composite key as a JSON array that no text inside can make ambiguous, ordered column by column', async () => {
		const shown = await walked(keyWalk({index: 'pairs_pkey', primary: true, columns: [{name: 'key', type: 'integer'}, {name: 'label', type: 'text', collation: {schema: 'pg_catalog', name: 'C'}}]}));
		expect(shown.map(text => JSON.parse(text) as unknown)).toEqual([
			['2', 'a'],
			['2', 'a,2'],
			['10', 'b"1'],
		]);
	});
});

/** What `plan` shows for a backfill is exactly what the backfill runs. */
describe('backfillForward', () => {
	it("is the backfill's own three statements, in the order they run", async () => {
		const db = await openPglite();
		try {
			await seedUsers(db, {rows: 10});
			const {plan} = compilePlan(readPlanFile('samples/add-display-name.yaml'), await readCatalog(db));
			const step = plan.steps.find(candidate => candidate.kind === 'backfill')!;
			expect(step.forward).toEqual([step.backfill!.pages, step.backfill!.pageBatch, recordBatch]);
			expect(backfillForward(step.backfill!)).toEqual(step.forward);
		} finally {
			await db.close();
		}
	});
});
