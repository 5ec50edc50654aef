import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ZdmError} from '../../source/core/errors.js';
import {Executor} from '../../source/core/executor.js';
import type {ExecutorEvent} from '../../source/core/events.js';
import {loadMigration} from '../../source/db/state.js';
import {compileOn, openTarget, plan, resetSchema, snapshot, type Target} from '../support/exact.js';

/**
 * The executor's guards and its bookkeeping, on PGlite: what step(), run() and rollback() refuse,
 * where run() stops, and that the stored state follows every step and rollback. Small and fast:
 * the mutation run (npm run mutate) leans on these.
 */

const setup = `CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL, email text);
INSERT INTO users (username, email) SELECT 'User' || g, 'user' || g || '@example.com' FROM generate_series(1, 30) g;`;

const addNickname = plan({id: 'MIG-EXEC', operations: [{add_column: {table: 'users', column: {name: 'nickname', type: 'text', nullable: false}, up: 'lower(username)'}}]});

describe('the executor', () => {
	let target: Target & {close(): Promise<void>};
	beforeAll(async () => {
		target = await openTarget('pglite');
	});
	afterAll(async () => target?.close());

	async function open(options: Parameters<typeof Executor.open>[2] = {}) {
		await resetSchema(target.db, setup);
		const executor = await Executor.open(target.db, await compileOn(target.db, addNickname), {batchSize: 7, ...options});
		const events: ExecutorEvent[] = [];
		executor.on(event => events.push(event));
		return {executor, events};
	}

	it('two step() calls at once run one step; the other is refused', async () => {
		const {executor} = await open();
		const results = await Promise.allSettled([executor.step(), executor.step()]);
		expect(results.map(result => result.status).sort()).toEqual(['fulfilled', 'rejected']);
		const refused = results.find(result => result.status === 'rejected') as PromiseRejectedResult;
		expect(refused.reason).toBeInstanceOf(ZdmError);
		expect((refused.reason as ZdmError).message).toMatch(/already running/);
		expect(executor.plan.steps.map(step => step.status)).toEqual(executor.plan.steps.map(step => (step.number === 1 ? 'executed' : 'pending')));
	});
});
