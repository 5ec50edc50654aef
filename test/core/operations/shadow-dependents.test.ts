import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Executor} from '../../../source/core/executor.js';
import {hasPgDump, pgDumpTables} from '../../support/pg-dump.js';
import {backends, compileOn, expectExactRollbackAtEveryStep, openTarget, plan, resetSchema, type Target} from '../../support/exact.js';
import {expectRefused} from '../../support/refusal.js';
import {shapeLines} from '../../support/table-shape.js';

/**
 * A type change through a shadow column must leave the table exactly as a hand-written
 * `ALTER TABLE … ALTER COLUMN … TYPE` would (which rewrites it under ACCESS EXCLUSIVE): two
 * databases get the same schema, zdm runs the plan on one, the hand ALTER runs on the other, and
 * the two are compared — from the catalog on PGlite and the server, and as pg_dump prints the
 * tables on the server. The changed column is the table's last one in each case: a shadow column
 * is added at the end, and PostgreSQL cannot reorder columns (the one difference there is).
 */
export interface ShadowCase {
	name: string;
	setup: string;
	operations: Array<Record<string, unknown>>;
	hand: string;
	tables: string[];
	/** What must work afterwards, on the zdm side. */
	after?: (target: Target) => Promise<void>;
}

const cases: ShadowCase[] = [
	{
		name: 'indexes of every kind: partial, expression, multi-column with collation, operator class, sort order, INCLUDE and storage parameters, hash, unique, deferrable UNIQUE constraint, CLUSTER, REPLICA IDENTITY, comments',
		setup: `CREATE TABLE scores (id bigint PRIMARY KEY, name text NOT NULL, score int NOT NULL);
			INSERT INTO scores SELECT g, 'n' || (g % 7), g FROM generate_series(1, 50) g;
			CREATE INDEX scores_partial ON scores (score) WHERE score > 10;
			COMMENT ON INDEX scores_partial IS 'hot rows';
			CREATE INDEX scores_expr ON scores ((score * 2) DESC NULLS FIRST);
			CREATE INDEX scores_multi ON scores (name COLLATE "C" text_pattern_ops, score DESC) INCLUDE (id) WITH (fillfactor = 70);
			ALTER TABLE scores CLUSTER ON scores_multi;
			CREATE INDEX scores_hash ON scores USING hash (score);
			CREATE UNIQUE INDEX scores_score_uq ON scores (score);
			ALTER TABLE scores REPLICA IDENTITY USING INDEX scores_score_uq;
			ALTER TABLE scores ADD CONSTRAINT scores_name_score_key UNIQUE (name, score) DEFERRABLE INITIALLY DEFERRED;
			COMMENT ON CONSTRAINT scores_name_score_key ON scores IS 'one score per name';`,
		operations: [{alter_column: {table: 'scores', column: 'score', type: 'bigint'}}],
		hand: 'ALTER TABLE scores ALTER COLUMN score TYPE bigint',
		tables: ['scores'],
		async after({db}) {
			await expect(db.query("INSERT INTO scores VALUES (1000, 'x', 5)")).rejects.toThrow(/scores_score_uq/);
			await db.query("INSERT INTO scores VALUES (1000, 'x', 5000000000)");
		},
	},
	{
		name: 'checks (one on two columns, one NOT VALID, one with a comment) and foreign keys from the columns (one NOT VALID), two columns in one plan',
		setup: `CREATE TABLE customers (id int PRIMARY KEY);
			INSERT INTO customers SELECT generate_series(1, 10);
			CREATE TABLE orders (id bigint PRIMARY KEY, note text, customer_id int REFERENCES customers (id) ON DELETE SET NULL, qty int CONSTRAINT qty_positive CHECK (qty > 0));
			INSERT INTO orders SELECT g, 'o', g % 10 + 1, g FROM generate_series(1, 40) g;
			ALTER TABLE orders ADD CONSTRAINT qty_small CHECK (qty < id + 1000);
			ALTER TABLE orders ADD CONSTRAINT qty_few CHECK (qty < 1000) NOT VALID;
			ALTER TABLE orders ADD CONSTRAINT orders_customer_again FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE SET NULL DEFERRABLE NOT VALID;
			COMMENT ON CONSTRAINT qty_positive ON orders IS 'no empty orders';`,
		operations: [
			{alter_column: {table: 'orders', column: 'customer_id', type: 'bigint'}},
			{alter_column: {table: 'orders', column: 'qty', type: 'bigint'}},
		],
		hand: 'ALTER TABLE orders ALTER COLUMN customer_id TYPE bigint, ALTER COLUMN qty TYPE bigint',
		tables: ['orders', 'customers'],
		async after({db}) {
			await expect(db.query("INSERT INTO orders VALUES (100, 'o', 1, -2)")).rejects.toThrow(/qty_positive/);
			await expect(db.query("INSERT INTO orders VALUES (100, 'o', 1, 3000)")).rejects.toThrow(/qty_few/);
			await expect(db.query("INSERT INTO orders VALUES (100, 'o', 99, 2)")).rejects.toThrow(/violates foreign key constraint/);
			await db.query('DELETE FROM customers WHERE id = 2');
			expect((await db.query<{n: string}>('SELECT count(*)::text AS n FROM orders WHERE customer_id IS NULL')).rows).toEqual([{n: '4'}]);
		},
	},
	{
		name: 'a foreign key of another table that references the changed unique column',
		setup: `CREATE TABLE products (id bigint PRIMARY KEY, sku int NOT NULL UNIQUE);
			INSERT INTO products SELECT g, 100 + g FROM generate_series(1, 20) g;
			CREATE TABLE lines (id bigint PRIMARY KEY, sku int REFERENCES products (sku) ON UPDATE CASCADE);
			INSERT INTO lines SELECT g, 100 + g FROM generate_series(1, 20) g;`,
		operations: [{alter_column: {table: 'products', column: 'sku', type: 'bigint'}}],
		hand: 'ALTER TABLE products ALTER COLUMN sku TYPE bigint',
		tables: ['products', 'lines'],
		async after({db}) {
			await db.query('UPDATE products SET sku = 5001 WHERE id = 1');
			await expect(db.query('INSERT INTO lines VALUES (99, 7)')).rejects.toThrow(/lines_sku_fkey/);
			expect((await db.query<{sku: string}>('SELECT sku::text AS sku FROM lines WHERE id = 1')).rows).toEqual([{sku: '5001'}]);
			// As after a hand-written ALTER … TYPE, the referencing column keeps its type.
			await expect(db.query('UPDATE products SET sku = 5000000001 WHERE id = 1')).rejects.toThrow(/integer out of range/);
		},
	},
	{
		name: 'the column\'s own: comment, column grants (one WITH GRANT OPTION), statistics target and options, statistics objects over it (with an expression), default',
		setup: `DO $$ BEGIN CREATE ROLE zdm_column_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
			CREATE TABLE readings (id bigint PRIMARY KEY, host text, value int DEFAULT 7);
			INSERT INTO readings SELECT g, 'h' || (g % 3), g FROM generate_series(1, 30) g;
			COMMENT ON COLUMN readings.value IS 'the reading';
			GRANT SELECT (value, host) ON readings TO zdm_column_reader WITH GRANT OPTION;
			GRANT UPDATE (value) ON readings TO zdm_column_reader;
			ALTER TABLE readings ALTER COLUMN value SET STATISTICS 500;
			ALTER TABLE readings ALTER COLUMN value SET (n_distinct = 100);
			CREATE STATISTICS readings_stats (ndistinct, dependencies) ON host, value FROM readings;
			COMMENT ON STATISTICS readings_stats IS 'host and value go together';
			CREATE STATISTICS readings_expr ON (value * 2), host FROM readings;`,
		operations: [{alter_column: {table: 'readings', column: 'value', type: 'bigint'}}],
		hand: 'ALTER TABLE readings ALTER COLUMN value TYPE bigint',
		tables: ['readings'],
		async after({db}) {
			expect((await db.query<{value: string}>("INSERT INTO readings (id, host) VALUES (100, 'h') RETURNING value::text AS value")).rows).toEqual([{value: '7'}]);
		},
	},
];

describe.each(backends())('a type change keeps everything the old column had, as a hand-written ALTER … TYPE would (%s)', backend => {
	let zdm: Target & {close(): Promise<void>};
	let hand: Target & {close(): Promise<void>};
	beforeAll(async () => {
		zdm = await openTarget(backend);
		hand = await openTarget(backend);
	});
	afterAll(async () => {
		await zdm.close();
		await hand.close();
	});

	it.each(cases)('$name', async ({setup, operations, hand: alter, tables, after}) => {
		const file = plan({id: 'SHADOW-1', operations});
		await resetSchema(zdm.db, setup);
		await resetSchema(hand.db, setup);
		const executor = await Executor.open(zdm.db, await compileOn(zdm.db, file), {batchSize: 7});
		expect(await executor.run()).toEqual({outcome: 'complete'});
		await hand.db.query(alter);
		expect(await shapeLines(zdm.db)).toEqual(await shapeLines(hand.db));
		if (zdm.url && hand.url && hasPgDump()) {
			const dump = await pgDumpTables(zdm.url, tables);
			expect(dump).toContain(`CREATE TABLE public.${tables[0]} (`);
			expect(dump).toBe(await pgDumpTables(hand.url, tables));
		}
		await after?.(zdm);
	});

	it.each(cases)('a failure at each step of "$name" rolls back exactly', async ({setup, operations}) => {
		await expectExactRollbackAtEveryStep(zdm, plan({id: 'SHADOW-2', operations}), setup);
	});

	it('refuses before anything runs: an EXCLUDE constraint, a referencing key that cannot compare with the new type, one index over two changed columns, an identity that is not an integer', async () => {
		await resetSchema(
			zdm.db,
			`CREATE TABLE rooms (id bigint PRIMARY KEY, during tsrange, EXCLUDE USING gist (during WITH &&));
			 CREATE TABLE refs (id bigint PRIMARY KEY, code text UNIQUE);
			 CREATE TABLE ref_users (id bigint PRIMARY KEY, code text REFERENCES refs (code));
			 CREATE TABLE pairs (id bigint PRIMARY KEY, a int, b int);
			 CREATE INDEX pairs_a_b ON pairs (a, b);
			 CREATE TABLE tickets (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text, title_length int GENERATED ALWAYS AS (length(title)) STORED);`,
		);
		await expectRefused(
			zdm.db,
			{id: 'REF-1', operations: [{alter_column: {table: 'rooms', column: 'during', type: 'tstzrange', up: 'tstzrange(lower(during), upper(during))'}}]},
			/alter_column: "during" is part of exclusion constraint "rooms_during_excl", which cannot move to a new column without a long exclusive lock — drop it in a migration of its own first/,
		);
		await expectRefused(
			zdm.db,
			{id: 'REF-2', operations: [{alter_column: {table: 'refs', column: 'code', type: 'integer', up: 'length(code)'}}]},
			/alter_column: foreign key "ref_users_code_fkey" of "ref_users"\."code" \(text\) cannot reference integer: .*operator does not exist: text = integer — change "ref_users"\."code" first/,
		);
		await expectRefused(
			zdm.db,
			{id: 'REF-3', operations: [{alter_column: {table: 'pairs', column: 'a', type: 'bigint'}}, {alter_column: {table: 'pairs', column: 'b', type: 'bigint'}}]},
			/operations\[1\]\.alter_column: index "pairs_a_b" also covers a column an earlier operation of this migration changes — change those columns in separate migrations/,
		);
		await expectRefused(
			zdm.db,
			{id: 'REF-4', operations: [{alter_column: {table: 'tickets', column: 'id', type: 'numeric'}}]},
			/"id" is an identity column, which must stay smallint, integer or bigint/,
		);
		await expectRefused(
			zdm.db,
			{id: 'REF-5', operations: [{alter_column: {table: 'tickets', column: 'title_length', type: 'bigint'}}]},
			/"title_length" is a generated column, which a shadow column cannot replace — drop it and add it again/,
		);
	});
});
