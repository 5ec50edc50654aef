import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Database} from '../../source/db/database.js';
import {backends, openBackend} from '../support/databases.js';
import {lintSql, ruleIds} from './lint-support.js';

// The linter's claim "this rewrites the table" is checked against PostgreSQL itself: a rewrite
// gives the table a new relfilenode. The server is PostgreSQL 15, PGlite is 17: both must agree.
const typeChanges: Array<[from: string, to: string]> = [
	['varchar(10)', 'varchar(20)'],
	['varchar(10)', 'varchar'],
	['varchar(10)', 'text'],
	['text', 'varchar'],
	['varchar(20)', 'varchar(10)'],
	['text', 'varchar(10)'],
	['numeric(10,2)', 'numeric(12,2)'],
	['numeric(10,2)', 'numeric'],
	['numeric(10,2)', 'numeric(10,3)'],
	['integer', 'bigint'],
	['timestamp(3)', 'timestamp(6)'],
	['timestamp', 'timestamptz'],
	['timestamptz', 'timestamp'],
	['cidr', 'inet'],
	['text', 'text'],
];

const addColumns = [
	'uuid DEFAULT gen_random_uuid()',
	'double precision DEFAULT random()',
	'timestamptz DEFAULT clock_timestamp()',
	'timestamptz DEFAULT now()',
	"text DEFAULT 'x'",
	'bigserial',
	'int GENERATED ALWAYS AS IDENTITY',
	'int GENERATED ALWAYS AS (id * 2) STORED',
	'int',
];

const rewriteRules = new Set(['type-change-rewrite', 'add-column-volatile-default', 'add-column-generated']);

describe.each(backends())('rewrite rules agree with PostgreSQL (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 0));
	});
	afterAll(async () => close());

	const relfilenode = async () => (await db.query<{node: string}>("SELECT relfilenode::text AS node FROM pg_class WHERE oid = 'public.rw'::regclass")).rows[0]!.node;

	/** Lint the statement against the table as it is, then run it and see whether PostgreSQL rewrote the table. */
	async function verdicts(setup: string, statement: string) {
		await db.query('DROP TABLE IF EXISTS public.rw');
		await db.query(setup);
		await db.query('INSERT INTO public.rw (id) VALUES (1), (2)');
		const flagged = ruleIds(await lintSql(db, statement)).some(rule => rewriteRules.has(rule));
		const before = await relfilenode();
		await db.transaction(async tx => {
			// In UTC, PostgreSQL 12+ skips the timestamp ↔ timestamptz rewrite; a migration cannot count on UTC.
			await tx.query("SET LOCAL TimeZone = 'Europe/Paris'");
			await tx.query(statement);
		});
		return {flagged, rewritten: (await relfilenode()) !== before};
	}

	it.each(typeChanges)('ALTER COLUMN TYPE %s → %s', async (from, to) => {
		const {flagged, rewritten} = await verdicts(`CREATE TABLE public.rw (id int PRIMARY KEY, value ${from})`, `ALTER TABLE rw ALTER COLUMN value TYPE ${to}`);
		expect(flagged, rewritten ? 'PostgreSQL rewrote the table' : 'PostgreSQL did not rewrite the table').toBe(rewritten);
	});

	it.each(addColumns)('ADD COLUMN %s', async column => {
		const {flagged, rewritten} = await verdicts('CREATE TABLE public.rw (id int PRIMARY KEY)', `ALTER TABLE rw ADD COLUMN extra ${column}`);
		expect(flagged, rewritten ? 'PostgreSQL rewrote the table' : 'PostgreSQL did not rewrite the table').toBe(rewritten);
	});
});
