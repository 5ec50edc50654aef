import {readdirSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {leftovers, readCatalog, tableDefinition, tableHash} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {backends, openBackend} from '../support/databases.js';
import {resetMigrations} from '../support/reset.js';

// The samples over the demo users table; samples/pgroll/ is a chain of its own (pgroll-chain.test.ts).
const runnable = readdirSync('samples')
	.filter(name => !name.startsWith('unsafe-') && /\.(ya?ml|json)$/.test(name))
	.map(name => `samples/${name}`);

async function snapshot(db: Database) {
	return {definition: await tableDefinition(db, 'users'), hash: await tableHash(db, 'users')};
}

async function compile(db: Database, path: string) {
	return compilePlan(readPlanFile(path), await readCatalog(db)).plan;
}

describe.each(backends())('every sample on %s', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 500));
	});
	afterAll(async () => close());

	// Each sample runs in a savepoint-free way: we reset the users table between runs by recreating it.
	async function reset() {
		await resetMigrations(db);
		await db.query('DROP TABLE IF EXISTS users CASCADE');
		const {seedUsers} = await import('../../source/db/seed.js');
		await seedUsers(db, {rows: 500});
	}

	for (const path of runnable) {
		it(`${path} runs to COMPLETE and leaves nothing of zdm behind`, async () => {
			await reset();
			const before = await snapshot(db);
			const executor = await Executor.open(db, await compile(db, path), {batchSize: 100});
			const result = await executor.run();
			expect(result.outcome).toBe('complete');
			expect(executor.plan.phase).toBe('COMPLETE');
			expect(executor.plan.steps.every(step => step.status === 'executed')).toBe(true);
			expect(await leftovers(db)).toEqual([]);
			expect((await snapshot(db)).definition).not.toBe(before.definition);
		});

		it(`${path} rolls back exactly with a failure injected at each step`, async () => {
			await reset();
			const count = (await compile(db, path)).steps.length;
			for (let failAt = 1; failAt <= count; failAt++) {
				await resetMigrations(db);
				const before = await snapshot(db);
				const executor = await Executor.open(db, await compile(db, path), {failAt, batchSize: 100});
				const result = await executor.run();
				expect(result.outcome, `fail at ${failAt}`).toBe('rolled-back');
				expect(executor.plan.phase).toBe('ROLLED_BACK');
				expect(executor.plan.steps[failAt - 1]!.status).toBe('failed');
				for (const step of executor.plan.steps.slice(0, failAt - 1)) expect(step.status).toBe('rolled_back');
				for (const step of executor.plan.steps.slice(failAt)) expect(step.status).toBe('pending');
				const after = await snapshot(db);
				expect(after.definition, `definition after failing at step ${failAt}`).toBe(before.definition);
				expect(after.hash, `rows after failing at step ${failAt}`).toBe(before.hash);
				expect(await leftovers(db)).toEqual([]);
			}
		});
	}
});
