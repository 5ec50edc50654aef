import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {Executor} from '../../../source/core/executor.js';
import {validatePlan} from '../../../source/core/plan-file.js';
import {readCatalog, tableHash} from '../../../source/db/catalog.js';
import type {Database} from '../../../source/db/database.js';
import {openPglite} from '../../../source/db/pglite.js';
import {openPostgres} from '../../../source/db/postgres.js';
import {createServerDatabase, serverUrl} from '../../support/databases.js';
import {hasPgDump, pgDumpSchema} from '../../support/pg-dump.js';

const rename = validatePlan({id: 'MIG-R', operations: [{rename_column: {table: 'accounts', from: 'email', to: 'contact_email'}}]});

/** A table as real ones are: an identity key, and the column to rename carrying what real columns carry. */
const base = [
	'CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, username text NOT NULL, email text)',
	"INSERT INTO accounts (username, email) SELECT 'user' || g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'u' || g || '@example.com' END FROM generate_series(1, 300) g",
];

/** What hangs on the column, one kind a case: each must come through the rename exactly. */
const dependents: Array<[string, string[]]> = [
	['an identity key (renamed itself)', []],
	['a partial unique index on an expression', ['CREATE UNIQUE INDEX accounts_email_lower ON accounts (lower(email)) WHERE email IS NOT NULL']],
	['index methods and operator classes', ['CREATE INDEX accounts_email_hash ON accounts USING hash (email)', 'CREATE INDEX accounts_email_pattern ON accounts (email text_pattern_ops DESC NULLS LAST)']],
	['a column comment', ["COMMENT ON COLUMN accounts.email IS 'where we write to them'"]],
	['column grants', ["DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zdm_test_reader') THEN CREATE ROLE zdm_test_reader; END IF; END $$", 'GRANT SELECT (id, email) ON accounts TO zdm_test_reader', 'GRANT UPDATE (email) ON accounts TO zdm_test_reader']],
	['extended statistics', ['CREATE STATISTICS accounts_user_email (dependencies, ndistinct) ON username, email FROM accounts']],
	['a dependent view and a user trigger', ['CREATE VIEW account_emails AS SELECT id, email FROM accounts WHERE email IS NOT NULL', "CREATE FUNCTION accounts_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.username := lower(NEW.username); RETURN NEW; END $$", 'CREATE TRIGGER accounts_touch BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_touch()']],
];

const planFor = (caseName: string) => (caseName.startsWith('an identity') ? validatePlan({id: 'MIG-R', operations: [{rename_column: {table: 'accounts', from: 'id', to: 'account_id'}}]}) : rename);
const byHand = (caseName: string) => (caseName.startsWith('an identity') ? 'ALTER TABLE accounts RENAME COLUMN id TO account_id' : 'ALTER TABLE accounts RENAME COLUMN email TO contact_email');

async function prepare(db: Database, extra: string[]) {
	for (const statement of [...base, ...extra]) await db.query(statement);
}

/** zdm's rename, start to COMPLETE: the version schema shows the new name until contract renames the column. */
async function renameWithZdm(db: Database, caseName: string) {
	const executor = await Executor.open(db, compilePlan(planFor(caseName), await readCatalog(db)).plan);
	expect((await executor.run()).outcome).toBe('complete');
}

describe.skipIf(!serverUrl() || !hasPgDump())('rename_column on a server: exactly what a hand-written RENAME gives, by pg_dump', () => {
	const open: Array<{db: Database; drop(): Promise<void>}> = [];
	const database = async () => {
		const created = await createServerDatabase();
		const db = await openPostgres(created.url);
		open.push({db, drop: created.drop});
		return {db, url: created.url};
	};

	afterAll(async () => {
		for (const {db, drop} of open) {
			await db.close();
			await drop();
		}
	});

	it.each(dependents)('keeps %s', async (caseName, extra) => {
		const [zdm, hand] = [await database(), await database()];
		await prepare(zdm.db, extra);
		await prepare(hand.db, extra);
		const rowsBefore = await tableHash(zdm.db, 'accounts');
		await renameWithZdm(zdm.db, caseName);
		await hand.db.query(byHand(caseName));
		expect(await pgDumpSchema(zdm.url)).toBe(await pgDumpSchema(hand.url));
		expect(await tableHash(zdm.db, 'accounts')).toBe(rowsBefore);
	});

	it('the table does not grow, and the identity still numbers new rows', async () => {
		const {db} = await database();
		await prepare(db, []);
		const size = async () => Number((await db.query<{size: string}>("SELECT pg_total_relation_size('accounts')::text AS size")).rows[0]!.size);
		const before = await size();
		await renameWithZdm(db, 'email');
		expect(await size()).toBe(before);
		const {rows} = await db.query<{id: string}>("INSERT INTO accounts (username, contact_email) VALUES ('new', 'new@example.com') RETURNING id::text");
		expect(Number(rows[0]!.id)).toBe(301);
	});

	it('a partial unique index still refuses duplicates after COMPLETE', async () => {
		const {db} = await database();
		await prepare(db, dependents[1]![1]);
		await renameWithZdm(db, 'email');
		await expect(db.query("INSERT INTO accounts (username, contact_email) VALUES ('dup', 'U1@example.com')")).rejects.toThrow(/duplicate key value violates unique constraint "accounts_email_lower"/);
	});
});

describe('rename_column on PGlite: the catalog after COMPLETE equals a hand-written RENAME', () => {
	let zdm: Database;
	let hand: Database;
	beforeAll(async () => {
		[zdm, hand] = [await openPglite(), await openPglite()];
	});
	afterAll(async () => {
		await zdm.close();
		await hand.close();
	});

	/** What pg_dump would print of the table, read from the catalog (PGlite has no pg_dump). */
	const facts = async (db: Database) =>
		(
			await db.query<{line: string}>(
				`SELECT line FROM (
				   SELECT format('column %s %s identity=%s comment=%s acl=%s', attname, format_type(atttypid, atttypmod), attidentity, col_description(attrelid, attnum), attacl) AS line
				     FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attnum > 0 AND NOT attisdropped
				   UNION ALL SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'accounts'::regclass
				   UNION ALL SELECT pg_get_statisticsobjdef(oid) FROM pg_statistic_ext WHERE stxrelid = 'accounts'::regclass
				   UNION ALL SELECT pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relname = 'account_emails'
				   UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'accounts'::regclass AND NOT tgisinternal
				 ) facts ORDER BY line`,
			)
		).rows.map(row => row.line);

	it('keeps every dependent kind at once', async () => {
		const everything = dependents.flatMap(([, extra]) => extra).filter(statement => !statement.includes('ROLE') && !statement.startsWith('GRANT'));
		await prepare(zdm, everything);
		await prepare(hand, everything);
		await renameWithZdm(zdm, 'email');
		await hand.query(byHand('email'));
		expect(await facts(zdm)).toEqual(await facts(hand));
		expect(await tableHash(zdm, 'accounts')).toBe(await tableHash(hand, 'accounts'));
	});
});
