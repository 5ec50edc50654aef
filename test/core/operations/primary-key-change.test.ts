import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Executor} from '../../../source/core/executor.js';
import {hasPgDump, pgDumpTables} from '../../support/pg-dump.js';
import {backends, compileOn, expectExactRollbackAtEveryStep, openTarget, plan, resetSchema, type Target} from '../../support/exact.js';
import {shapeLines} from '../../support/table-shape.js';

/**
 * `int → bigint` on a primary key that other tables (and the table itself) reference, online: the
 * new key column is backfilled, its unique index built concurrently, the referencing foreign keys
 * added again NOT VALID over it and validated, and contract moves the key with ADD CONSTRAINT …
 * PRIMARY KEY USING INDEX, renames the foreign keys back and takes the sequence or identity along.
 * The result must equal a hand-written ALTER … TYPE (which rewrites the table and every index
 * under ACCESS EXCLUSIVE), and a failure at any step must leave everything as it was.
 */

// The key is the last column, so the shadow column takes its place exactly (columns cannot be reordered).
const serialKey = `CREATE TABLE nodes (name text, parent_id int, id serial PRIMARY KEY);
	ALTER TABLE nodes ADD CONSTRAINT nodes_parent_fk FOREIGN KEY (parent_id) REFERENCES nodes (id);
	CREATE TABLE edges (id bigint PRIMARY KEY, node_id int NOT NULL REFERENCES nodes (id) ON DELETE CASCADE);
	INSERT INTO nodes (name) SELECT 'n' || g FROM generate_series(1, 30) g;
	UPDATE nodes SET parent_id = id - 1 WHERE id > 1;
	INSERT INTO edges SELECT g, g FROM generate_series(1, 30) g;
	COMMENT ON COLUMN nodes.id IS 'the node''s number';`;

const identityKey = `CREATE TABLE accounts (name text, id int GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5 CACHE 2) PRIMARY KEY);
	CREATE TABLE sessions (id bigint PRIMARY KEY, account_id int REFERENCES accounts (id) DEFERRABLE);
	INSERT INTO accounts (name) SELECT 'a' || g FROM generate_series(1, 25) g;
	INSERT INTO sessions SELECT g, 95 + 5 * g FROM generate_series(1, 25) g;`;

const widen = (id: string, table: string) => plan({id, operations: [{alter_column: {table, column: 'id', type: 'bigint'}}]});

describe.each(backends())('int → bigint on a referenced primary key (%s)', backend => {
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

	async function expectAsHandWritten(setup: string, table: string, tables: string[], handAlso: string[] = []) {
		await resetSchema(zdm.db, setup);
		await resetSchema(hand.db, setup);
		const compiled = await compileOn(zdm.db, widen('PK-1', table));
		// The key's twin is built concurrently, the referencing keys validated before contract.
		expect(compiled.steps.map(step => `${step.phase} ${step.kind}`)).toContain('MIGRATING concurrent');
		const final = compiled.steps.at(-1)!.forward.join('\n');
		expect(final).toMatch(new RegExp(`PRIMARY KEY USING INDEX`));
		expect(final).not.toMatch(/VALIDATE|CREATE INDEX|UPDATE /);
		expect(await (await Executor.open(zdm.db, compiled, {batchSize: 7})).run()).toEqual({outcome: 'complete'});
		await hand.db.query(`ALTER TABLE ${table} ALTER COLUMN id TYPE bigint`);
		for (const statement of handAlso) await hand.db.query(statement);
		expect(await shapeLines(zdm.db)).toEqual(await shapeLines(hand.db));
		if (zdm.url && hand.url && hasPgDump()) {
			const dump = await pgDumpTables(zdm.url, tables);
			expect(dump).toContain(`CREATE TABLE public.${table} (`);
			expect(dump).toBe(await pgDumpTables(hand.url, tables));
		}
	}

	it('a serial key referenced by another table and by itself ends as a hand-written ALTER leaves it; key, foreign keys and sequence work after it', async () => {
		// What a careful hand adds for a serial: PostgreSQL's ALTER … TYPE leaves its sequence AS integer.
		await expectAsHandWritten(serialKey, 'nodes', ['nodes', 'edges'], ['ALTER SEQUENCE nodes_id_seq AS bigint']);
		const {db} = zdm;
		// The sequence goes on where it was, and the new keys are bigint.
		expect((await db.query<{id: string}>("INSERT INTO nodes (name, parent_id) VALUES ('new', 30) RETURNING id::text AS id")).rows).toEqual([{id: '31'}]);
		await db.query("INSERT INTO nodes (name, id) VALUES ('big', 5000000000)");
		// The serial's sequence numbers past 2^31 - 1 too: it was widened with its column.
		expect((await db.query<{type: string}>("SELECT format_type(seqtypid, NULL) AS type FROM pg_sequence WHERE seqrelid = 'nodes_id_seq'::regclass")).rows).toEqual([{type: 'bigint'}]);
		await db.query("SELECT setval('nodes_id_seq', 2147483647)");
		expect((await db.query<{id: string}>("INSERT INTO nodes (name) VALUES ('past int') RETURNING id::text AS id")).rows).toEqual([{id: '2147483648'}]);
		await db.query("DELETE FROM nodes WHERE id = 2147483648");
		await db.query("SELECT setval('nodes_id_seq', 31)");
		await db.query('INSERT INTO edges VALUES (31, 31)');
		await expect(db.query('INSERT INTO edges VALUES (32, 999)')).rejects.toThrow(/edges_node_id_fkey/);
		await expect(db.query("INSERT INTO nodes (name, parent_id) VALUES ('orphan', 999)")).rejects.toThrow(/nodes_parent_fk/);
		await expect(db.query("INSERT INTO nodes (name, id) VALUES ('again', 31)")).rejects.toThrow(/nodes_pkey/);
		await db.query('DELETE FROM edges WHERE node_id = 31');
		await db.query('UPDATE nodes SET parent_id = NULL WHERE parent_id = 30');
		await db.query('DELETE FROM nodes WHERE id = 30');
		expect((await db.query<{n: string}>('SELECT count(*)::text AS n FROM edges WHERE node_id = 30')).rows).toEqual([{n: '0'}]);
	});

	it('an identity key (GENERATED ALWAYS, its own start, increment and cache) keeps numbering where it was, as a bigint identity', async () => {
		await expectAsHandWritten(identityKey, 'accounts', ['accounts', 'sessions']);
		const {db} = zdm;
		const next = await db.query<{id: string}>("INSERT INTO accounts (name) VALUES ('next') RETURNING id::text AS id");
		const hand2 = await hand.db.query<{id: string}>("INSERT INTO accounts (name) VALUES ('next') RETURNING id::text AS id");
		expect(next.rows).toEqual(hand2.rows);
		await expect(db.query("INSERT INTO accounts (id, name) VALUES (7, 'x')")).rejects.toThrow(/non-DEFAULT value into column "id"/);
		await db.query(`INSERT INTO sessions VALUES (100, ${next.rows[0]!.id})`);
		await expect(db.query('INSERT INTO sessions VALUES (101, 1)')).rejects.toThrow(/sessions_account_id_fkey/);
	});

	it.each([
		['serial', serialKey, 'nodes'],
		['identity', identityKey, 'accounts'],
	])('a failure at each step of the %s key change rolls back exactly', async (_kind, setup, table) => {
		const steps = await expectExactRollbackAtEveryStep(zdm, widen('PK-2', table), setup);
		expect(steps).toBeGreaterThanOrEqual(8);
	});
});

describe.skipIf(!backends().includes('server'))('int → bigint on a referenced primary key with both application versions writing', () => {
	let zdm: Target & {close(): Promise<void>};
	beforeAll(async () => {
		zdm = await openTarget('server');
	});
	afterAll(async () => zdm.close());

	interface Shape {
		kind: string;
		setup: string;
		parent: string;
		child: string;
		reference: string;
		/** Rows the setup wrote into the parent. */
		rows: number;
	}

	const shapes: Shape[] = [
		{kind: 'serial', setup: serialKey, parent: 'nodes', child: 'edges', reference: 'node_id', rows: 30},
		{kind: 'identity (GENERATED ALWAYS)', setup: identityKey, parent: 'accounts', child: 'sessions', reference: 'account_id', rows: 25},
	];

	/** One application version inserting parents and children in a loop until stopped; every error is kept. */
	function writer(shape: Shape, searchPath: () => string | undefined, name: string) {
		const errors: string[] = [];
		let written = 0;
		let stop = false;
		const done = (async () => {
			const client = new pg.Client({connectionString: zdm.url});
			await client.connect();
			try {
				while (!stop) {
					const path = searchPath();
					if (path === undefined) {
						await new Promise(resolve => setTimeout(resolve, 5));
						continue;
					}

					try {
						await client.query(`SET search_path = ${path}`);
						const {rows} = await client.query<{id: string}>(`INSERT INTO ${shape.parent} (name) VALUES ($1) RETURNING id::text AS id`, [name]);
						await client.query(`INSERT INTO ${shape.child} (id, ${shape.reference}) VALUES ($1, $2)`, [Number(rows[0]!.id) + 1_000_000 * (name === 'v2' ? 2 : 1), rows[0]!.id]);
						written++;
					} catch (error) {
						errors.push(error instanceof Error ? error.message : String(error));
					}
				}
			} finally {
				await client.end();
			}
		})();
		return {
			errors,
			get written() {
				return written;
			},
			async stop() {
				stop = true;
				await done;
			},
		};
	}

	it.each(shapes)('a $kind key reaches COMPLETE with no failed write, and every row written meanwhile is there with its child', async shape => {
		await resetSchema(zdm.db, shape.setup);
		const compiled = await compileOn(zdm.db, widen('PK-3', shape.parent));
		const executor = await Executor.open(zdm.db, compiled, {batchSize: 5, lock: {lockTimeoutMs: 200}});
		let versionReady = false;
		const v1 = writer(shape, () => 'public', 'v1');
		const v2 = writer(shape, () => (versionReady ? `"${compiled.versionSchema}"` : undefined), 'v2');
		try {
			for (;;) {
				const outcome = await executor.step();
				expect(outcome.outcome).not.toBe('rolled-back');
				if (outcome.outcome === 'complete' || executor.plan.phase === 'COMPLETE') break;
				if (outcome.outcome === 'executed' && outcome.step.description.startsWith('Create version schema')) versionReady = true;
				// Let both versions write between steps.
				await new Promise(resolve => setTimeout(resolve, 30));
			}
		} finally {
			await v1.stop();
			await v2.stop();
		}

		expect(executor.plan.phase).toBe('COMPLETE');
		expect([...v1.errors, ...v2.errors]).toEqual([]);
		expect(v1.written).toBeGreaterThan(0);
		expect(v2.written).toBeGreaterThan(0);
		const {rows} = await zdm.db.query<{parents: string; children: string; orphans: string; type: string}>(
			`SELECT (SELECT count(*)::text FROM ${shape.parent}) AS parents, (SELECT count(*)::text FROM ${shape.child}) AS children,
			        (SELECT count(*)::text FROM ${shape.child} c LEFT JOIN ${shape.parent} p ON p.id = c.${shape.reference} WHERE p.id IS NULL) AS orphans,
			        format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = '${shape.parent}'::regclass AND attname = 'id'`,
		);
		const written = v1.written + v2.written;
		expect(rows).toEqual([{parents: String(shape.rows + written), children: String(shape.rows + written), orphans: '0', type: 'bigint'}]);
		// The sequence is past every key written, whoever wrote it.
		const next = await zdm.db.query<{id: string; max: string}>(`INSERT INTO ${shape.parent} (name) VALUES ('after') RETURNING id::text AS id, (SELECT max(id)::text FROM ${shape.parent}) AS max`);
		expect(BigInt(next.rows[0]!.id)).toBeGreaterThan(BigInt(next.rows[0]!.max));
	});
});
