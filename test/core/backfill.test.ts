import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {backfillSpec} from '../../source/core/backfill-sql.js';
import {compilePlan} from '../../source/core/compile.js';
import {ZdmError} from '../../source/core/errors.js';
import {Executor} from '../../source/core/executor.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {ensureStateSchema, loadBackfillCursor} from '../../source/db/state.js';
import {backends, openBackend} from '../support/databases.js';

const sample = 'samples/add-display-name.yaml';

describe.each(backends())('the backfill on %s', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 10));
	});
	afterAll(async () => close());

	/** users with gaps in its keys, and a log of every row the backfill itself writes. */
	async function fresh(rows: number) {
		await db.query('DROP SCHEMA IF EXISTS zdm CASCADE');
		await db.query('DROP TABLE IF EXISTS users CASCADE');
		await db.query('DROP TABLE IF EXISTS backfill_log');
		await db.query('DROP FUNCTION IF EXISTS log_backfill()');
		const {seedUsers} = await import('../../source/db/seed.js');
		await seedUsers(db, {rows});
		await db.query('DELETE FROM users WHERE id % 7 = 0 OR id BETWEEN 300 AND 420');
		await db.query('CREATE TABLE backfill_log (id bigint NOT NULL)');
		await db.script(`CREATE FUNCTION log_backfill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO backfill_log VALUES (NEW.id); RETURN NEW; END $$;
			CREATE TRIGGER log_backfill AFTER UPDATE ON users FOR EACH ROW WHEN (current_setting('zdm.backfill', true) = 'on') EXECUTE FUNCTION log_backfill();`);
		const {rows: counted} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users');
		return counted[0]!.count;
	}

	const compile = async () => compilePlan(readPlanFile(sample), await readCatalog(db)).plan;

	async function expectEveryRowFilledOnce(total: number) {
		const {rows: wrong} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users WHERE display_name IS DISTINCT FROM initcap(username)');
		expect(wrong[0]!.count).toBe(0);
		const {rows: log} = await db.query<{rows: number; once: number}>('SELECT count(*)::int AS rows, count(DISTINCT id)::int AS once FROM backfill_log');
		expect(log[0]).toEqual({rows: total, once: total});
	}

	it('fills every row exactly once across gaps in the keys, each batch a key range', async () => {
		const total = await fresh(1000);
		const executor = await Executor.open(db, await compile(), {batchSize: 97});
		const batches: Array<{from: string | null; to: string | null; done: number}> = [];
		executor.on(event => {
			if (event.type === 'batch') batches.push({from: event.fromKey, to: event.toKey, done: event.rowsDone});
		});
		expect((await executor.run()).outcome).toBe('complete');
		await expectEveryRowFilledOnce(total);
		// Consecutive ranges: each batch starts where the last one ended, and the count adds up.
		for (const [index, batch] of batches.entries()) expect(batch.from).toBe(index === 0 ? null : batches[index - 1]!.to);
		expect(batches.at(-1)!.done).toBe(total);
	});

	it('resumes after an interruption from the saved cursor, doing no row twice', async () => {
		const total = await fresh(1000);
		const plan = await compile();
		const controller = new AbortController();
		const first = await Executor.open(db, plan, {batchSize: 50, signal: controller.signal});
		let seen = 0;
		first.on(event => {
			if (event.type === 'batch' && ++seen === 4) controller.abort();
		});
		await expect(first.run()).rejects.toThrow(ZdmError);
		const step = first.plan.steps.find(candidate => candidate.kind === 'backfill')!;
		const saved = await loadBackfillCursor(db, plan.id, step.number);
		expect(saved?.rowsDone).toBe(200);
		const {rows: filled} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM users WHERE display_name IS NOT NULL');
		expect(filled[0]!.count).toBe(200);

		const second = await Executor.open(db, plan, {batchSize: 50});
		expect((await second.run()).outcome).toBe('complete');
		await expectEveryRowFilledOnce(total);
	});

	it('walks the primary key: no batch scans the whole table', async () => {
		await fresh(20_000);
		await db.query('ALTER TABLE users ADD COLUMN display_name text');
		await db.query('ANALYZE users');
		await ensureStateSchema(db);
		const table = (await readCatalog(db)).table('users')!;
		const spec = backfillSpec(table, 'id', 'display_name', 'initcap(username)', true);
		for (const [sql, params] of [
			[spec.firstBatch, [1000, 'MIG-X', 2, 0, 20_000]],
			[spec.nextBatch, ['5000', 1000, 'MIG-X', 2, 4000, 20_000]],
		] as const) {
			const {rows} = await db.query(`EXPLAIN ${sql}`, [...params]);
			const plan = rows.map(row => String(Object.values(row)[0])).join('\n');
			expect(plan).not.toMatch(/Seq Scan on users/);
			expect(plan).toMatch(/Index (Only )?Scan using users_pkey/);
		}
	});
});
