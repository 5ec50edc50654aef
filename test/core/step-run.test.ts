import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ZdmError} from '../../source/core/errors.js';
import {Executor} from '../../source/core/executor.js';
import type {ExecutorEvent} from '../../source/core/events.js';
import {loadMigration, readHistory} from '../../source/db/state.js';
import {compileOn, openTarget, plan, resetSchema, type Target} from '../support/exact.js';

/**
 * How each step kind runs forward (step-run.ts), on PGlite: what a step reports as it ends, the
 * backfill's and the verify's batches reaching the listeners, --skip-verify, and a concurrent build
 * resumed after a crash. Small and fast, for the mutation run (npm run mutate).
 */

const setup = `CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL, email text);
INSERT INTO users (username, email) SELECT 'User' || g, 'user' || g || '@example.com' FROM generate_series(1, 30) g;`;

const addNickname = (id: string) => plan({id, operations: [{add_column: {table: 'users', column: {name: 'nickname', type: 'text', nullable: false}, up: 'lower(username)'}}]});

describe('running a step forward', () => {
	let target: Target & {close(): Promise<void>};
	beforeAll(async () => {
		target = await openTarget('pglite');
	});
	afterAll(async () => target?.close());

	async function open(id: string, options: Parameters<typeof Executor.open>[2] = {}) {
		await resetSchema(target.db, setup);
		const executor = await Executor.open(target.db, await compileOn(target.db, addNickname(id)), {batchSize: 7, ...options});
		const events: ExecutorEvent[] = [];
		executor.on(event => events.push(event));
		return {executor, events};
	}

	const numbers = (events: ExecutorEvent[], type: ExecutorEvent['type']) => events.filter(event => event.type === type).map(event => (event as {step: {number: number}}).step.number);

	it('each step reports its end with the time it took, and the backfill\'s and the verify\'s batches reach the listeners', async () => {
		const {executor, events} = await open('MIG-STEPS');
		const started = performance.now();
		expect(await executor.run()).toEqual({outcome: 'complete'});
		const elapsed = performance.now() - started;
		expect(numbers(events, 'step-executed')).toEqual(executor.plan.steps.map(step => step.number));
		for (const event of events) {
			if (event.type !== 'step-executed') continue;
			expect(event.durationMs).toBeGreaterThan(0);
			expect(event.durationMs).toBeLessThanOrEqual(elapsed);
			expect(event.durationMs).toBe(event.step.durationMs);
		}

		const backfill = executor.plan.steps.find(step => step.kind === 'backfill')!;
		const verify = executor.plan.steps.find(step => step.kind === 'verify')!;
		// 30 rows fit one page, and a batch is whole pages: one backfill batch; the verify reads in batches of its own size.
		const batches = numbers(events, 'batch');
		expect(batches.filter(number => number === backfill.number)).toHaveLength(1);
		expect([...new Set(batches)]).toEqual([backfill.number, verify.number]);
	});

	it('--skip-verify marks the verify step done without reading a row, and says so in the history', async () => {
		const {executor, events} = await open('MIG-SKIP', {skipVerify: true});
		expect(await executor.run()).toEqual({outcome: 'complete'});
		const verify = executor.plan.steps.find(step => step.kind === 'verify')!;
		expect(numbers(events, 'batch').filter(number => number === verify.number)).toEqual([]);
		expect((await loadMigration(target.db, 'MIG-SKIP'))!.steps[verify.number - 1]!.status).toBe('executed');
		const history = (await readHistory(target.db, 'MIG-SKIP')).map(entry => `${entry.phase}: ${entry.message}`);
		expect(history).toContain(`CONTRACTING: Skipped (--skip-verify): ${verify.description}`);
	});

	it('a concurrent build left running by a crash is dropped and built again when the migration resumes', async () => {
		await resetSchema(target.db, setup);
		const file = plan({id: 'MIG-REBUILD', operations: [{create_index: {table: 'users', name: 'users_email_idx', columns: ['email']}}]});
		const crashed = await Executor.open(target.db, await compileOn(target.db, file));
		crashed.on(event => {
			// The build finished; the process stops before the step's mark is stored.
			if (event.type === 'history' && event.entry.message === crashed.plan.steps[0]!.description) throw new ZdmError('interrupted', 'stopped', 'run again');
		});
		await expect(crashed.step()).rejects.toThrow('stopped');
		expect((await loadMigration(target.db, 'MIG-REBUILD'))!.steps[0]!.status).toBe('running');
		const resumed = await Executor.resume(target.db, 'MIG-REBUILD');
		expect(await resumed.run()).toEqual({outcome: 'complete'});
		const {rows} = await target.db.query<{valid: boolean}>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass");
		expect(rows).toEqual([{valid: true}]);
	});
});
