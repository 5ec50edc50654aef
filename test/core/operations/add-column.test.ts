import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {Executor} from '../../../source/core/executor.js';
import {isConstant} from '../../../source/core/operations/add-column.js';
import {validatePlan} from '../../../source/core/plan-file.js';
import {readCatalog, tableDefinition} from '../../../source/db/catalog.js';
import type {Database} from '../../../source/db/database.js';
import {backends, openBackend} from '../../support/databases.js';

const addStatus = (id: string, column: Record<string, unknown>, up?: string) =>
	validatePlan({id, operations: [{add_column: {table: 'users', column: {type: 'text', nullable: false, ...column}, ...(up ? {up} : {})}}]});

describe('a constant default', () => {
	it.each(["'active'", '0', '-1.5', 'true', "'0'::numeric(10,2)", "'x'::character varying"])('%s is a constant', text => expect(isConstant(text)).toBe(true));
	it.each(['now()', "'a' || 'b'", 'gen_random_uuid()', 'username', "'x'::text || 'y'"])('%s is not', text => expect(isConstant(text)).toBe(false));
});

/** add_column with a literal default and no up: PostgreSQL's instant catalog default, no backfill. */
describe.each(backends())('add_column with a constant default (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 500));
	});
	afterAll(async () => close());

	const storage = async () => (await db.query<{file: string}>("SELECT relfilenode::text AS file FROM pg_class WHERE oid = 'users'::regclass")).rows[0]!.file;

	it('adds the column with its default in expand, never writes a row, and still makes it NOT NULL safely at contract', async () => {
		const {plan} = compilePlan(addStatus('CONST-1', {name: 'status', default: "'active'"}), await readCatalog(db));
		expect(plan.steps.filter(step => step.kind === 'backfill')).toEqual([]);
		expect(plan.steps[0]!.forward).toEqual(['ALTER TABLE "public"."users" ADD COLUMN "status" text DEFAULT (\'active\')']);
		expect(plan.steps.flatMap(step => step.forward).join('\n')).toMatch(/CHECK \("status" IS NOT NULL\) NOT VALID[\s\S]*VALIDATE CONSTRAINT[\s\S]*SET NOT NULL/);
		const file = await storage();
		const rowVersions = await db.query<{xmin: string}>("SELECT xmin::text AS xmin FROM users WHERE id = 1");
		const executor = await Executor.open(db, plan);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		// Same storage and the same row versions: nothing was rewritten or updated.
		expect(await storage()).toBe(file);
		expect((await db.query<{xmin: string}>('SELECT xmin::text AS xmin FROM users WHERE id = 1')).rows).toEqual(rowVersions.rows);
		const missing = await db.query<{has: boolean}>("SELECT atthasmissing AS has FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'status'");
		expect(missing.rows[0]!.has).toBe(true);
		expect(await tableDefinition(db, 'users')).toContain("column status text NOT NULL DEFAULT 'active'::text");
		const counts = await db.query<{status: string; n: number | string}>('SELECT status, count(*) AS n FROM users GROUP BY status');
		expect(counts.rows.map(row => [row.status, Number(row.n)])).toEqual([['active', 502]]);
	});

	it('a default that is not a literal, or one with up, keeps the batched backfill', async () => {
		const catalog = await readCatalog(db);
		for (const file of [addStatus('CONST-2', {name: 'tag', default: "'u' || 'x'"}), addStatus('CONST-3', {name: 'tag', default: "'x'"}, 'username')]) {
			const {plan} = compilePlan(file, catalog);
			expect(plan.steps.filter(step => step.kind === 'backfill')).toHaveLength(1);
			expect(plan.steps[0]!.forward[0]).toBe('ALTER TABLE "public"."users" ADD COLUMN "tag" text');
		}
	});
});
