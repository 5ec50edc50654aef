import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {preparePlan} from '../../source/commands/prepare.js';
import {Executor} from '../../source/core/executor.js';
import {isSafeWidening} from '../../source/core/type-change.js';
import {tableHash} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {ensureStateSchema} from '../../source/db/state.js';
import {runCli} from '../support/cli.js';
import {backends, openBackend} from '../support/databases.js';
import {expectRefused, snapshot, writePlan} from '../support/refusal.js';

const alter = (id: string, table: string, column: string, change: Record<string, unknown>) => ({id, operations: [{alter_column: {table, column, ...change}}]});

describe('known-safe widenings', () => {
	it.each([
		['smallint', 'integer'],
		['integer', 'bigint'],
		['bigint', 'numeric'],
		['integer', 'numeric(12,0)'],
		['character varying(100)', 'varchar(200)'],
		['character varying(100)', 'text'],
		['text', 'varchar'],
		['numeric(10,2)', 'numeric(12,2)'],
		['numeric(10,2)', 'numeric'],
		['timestamp without time zone', 'timestamptz'],
		['real', 'double precision'],
	])('%s → %s needs no check', (from, to) => {
		expect(isSafeWidening(from, to)).toBe(true);
	});

	it.each([
		['text', 'varchar(100)'],
		['character varying(200)', 'varchar(100)'],
		['character(10)', 'char(5)'],
		['numeric(10,2)', 'numeric(10,1)'],
		['numeric', 'numeric(10,2)'],
		['bigint', 'integer'],
		['timestamp with time zone', 'timestamp'],
		['double precision', 'integer'],
		['text', 'integer'],
		['bigint', 'double precision'],
	])('%s → %s is checked over the rows', (from, to) => {
		expect(isSafeWidening(from, to)).toBe(false);
	});
});

describe.each(backends())('checks over the existing rows before the first step (%s)', backend => {
	let db: Database;
	let url: string | undefined;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, url, close} = await openBackend(backend, 20));
		await ensureStateSchema(db);
		await db.query('CREATE TABLE contacts (id bigint PRIMARY KEY, email text, score numeric(10,2), code text)');
		await db.query("INSERT INTO contacts SELECT g, 'user' || g || '@example.com', g, g::text FROM generate_series(1, 30) g");
		// One 150-character email, one fraction, one code that is no number.
		await db.query("UPDATE contacts SET email = repeat('x', 138) || '@example.com' WHERE id = 7");
		await db.query('UPDATE contacts SET score = 2.5 WHERE id = 12');
		await db.query("UPDATE contacts SET code = 'abc' WHERE id = 21");
		await db.query('UPDATE contacts SET email = NULL WHERE id IN (4, 9)');
	});
	afterAll(async () => close());

	it('text → varchar(100) without up is refused with the count, the first key and its value: nothing is cut', async () => {
		await expectRefused(db, alter('CHK-1', 'contacts', 'email', {type: 'varchar(100)'}), /: operations\[0\]\.alter_column\.type: 1 row of contacts\.email would change converting text to varchar\(100\) \(the first at key "7": "x{40}…"\) — give "up"/);
	});

	it('numeric → integer that would round a value is refused, not rounded', async () => {
		await expectRefused(db, alter('CHK-2', 'contacts', 'score', {type: 'integer'}), /1 row of contacts\.score would change converting numeric\(10,2\) to integer \(the first at key "12": "2\.50"\)/);
	});

	it('a value that does not convert is reported with PostgreSQL\'s own message', async () => {
		await expectRefused(db, alter('CHK-3', 'contacts', 'code', {type: 'integer'}), /converting contacts\.code from text to integer fails on existing rows: invalid input syntax for type integer: "abc"/);
	});

	it('nullable: false on a column that holds NULLs, with no up, is found now rather than at contract', async () => {
		await expectRefused(db, alter('CHK-4', 'contacts', 'email', {nullable: false}), /: operations\[0\]\.alter_column\.nullable: 2 rows of contacts\.email are NULL \(the first at key "4"\) — give "up": an expression for them, or fix them first$/);
	});

	it('the CLI refuses it in one line with exit 2, and the table is as it was', async () => {
		const target = backend === 'server' ? ['--database-url', url!] : undefined;
		if (!target) return;
		const before = await snapshot(db);
		const result = await runCli(['run', writePlan(alter('CHK-5', 'contacts', 'email', {type: 'varchar(100)'})), '--yes', ...target]);
		expect(result.code).toBe(2);
		expect(result.stderr.trim().split('\n')).toHaveLength(1);
		expect(result.stderr).toMatch(/1 row of contacts\.email would change converting text to varchar\(100\)/);
		expect(await snapshot(db)).toEqual(before);
	});

	it('with an explicit up (left(email, 100)) the same change runs, and only that row is cut, as asked', async () => {
		const before = await db.query<{id: number; email: string | null}>('SELECT id::int, email FROM contacts ORDER BY id');
		const prepared = await preparePlan(db, writePlan(alter('CHK-6', 'contacts', 'email', {type: 'varchar(100)', up: 'left(email, 100)'})));
		expect(prepared.checks).toHaveLength(0);
		const executor = await Executor.open(db, prepared.plan);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		const after = await db.query<{id: number; email: string | null}>('SELECT id::int, email FROM contacts ORDER BY id');
		expect(after.rows).toEqual(before.rows.map(row => (row.id === 7 ? {id: 7, email: row.email!.slice(0, 100)} : row)));
		const type = await db.query<{type: string}>("SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'contacts'::regclass AND attname = 'email'");
		expect(type.rows[0]!.type).toBe('character varying(100)');
	});

	it('a conversion whose values all survive is checked and runs', async () => {
		await db.query('UPDATE contacts SET score = 3 WHERE id = 12');
		const prepared = await preparePlan(db, writePlan(alter('CHK-7', 'contacts', 'score', {type: 'integer'})));
		expect(prepared.checks).toHaveLength(1);
		const hash = await tableHash(db, 'contacts');
		const executor = await Executor.open(db, prepared.plan);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		expect(await tableHash(db, 'contacts')).not.toBe(hash);
		const scores = await db.query<{score: number}>('SELECT score FROM contacts WHERE id IN (12, 13) ORDER BY id');
		expect(scores.rows.map(row => Number(row.score))).toEqual([3, 13]);
	});
});
