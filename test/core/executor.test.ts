import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ZdmError} from '../../source/core/errors.js';
import {Executor} from '../../source/core/executor.js';
import type {ExecutorEvent} from '../../source/core/events.js';
import {loadMigration, readHistory} from '../../source/db/state.js';
import {serverUrl} from '../support/databases.js';
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
		expect(refused.reason).toMatchObject({code: 'refused', message: 'a step is already running', hint: 'wait for it to finish'});
		expect(executor.plan.steps.map(step => step.status)).toEqual(executor.plan.steps.map(step => (step.number === 1 ? 'executed' : 'pending')));
	});

	it('run(CONTRACTING) stops before the contract; step() then goes on to COMPLETE, after which step() only says complete', async () => {
		const {executor} = await open();
		const stopped = await executor.run('CONTRACTING');
		const firstContract = executor.plan.steps.find(step => step.phase === 'CONTRACTING')!;
		expect(stopped).toMatchObject({outcome: 'executed', step: {number: firstContract.number - 1}});
		expect(executor.next).toBe(firstContract);
		expect(executor.plan.steps.filter(step => step.status === 'executed')).toHaveLength(firstContract.number - 1);
		expect((await loadMigration(target.db, 'MIG-EXEC'))!.phase).toBe('MIGRATING');
		expect(await executor.run()).toEqual({outcome: 'complete'});
		expect(await executor.step()).toEqual({outcome: 'complete'});
		expect((await loadMigration(target.db, 'MIG-EXEC'))!).toMatchObject({phase: 'COMPLETE', steps: executor.plan.steps.map(() => expect.objectContaining({status: 'executed'}))});
		await expect(executor.rollback()).rejects.toMatchObject({code: 'bad-input', message: 'migration MIG-EXEC is COMPLETE and cannot be rolled back', hint: 'the old shape is gone; write a new migration that reverses it'});
	});

	it('a failure rolls back newest first, storing each status, and the rolled-back migration refuses step() and ignores rollback()', async () => {
		const {executor, events} = await open({failAt: 4});
		const before = await snapshot(target);
		const started = performance.now();
		const outcome = await executor.run();
		const elapsed = performance.now() - started;
		expect(outcome).toMatchObject({outcome: 'rolled-back', step: {number: 4}, error: 'injected failure at step 4 (--fail-at)'});
		const order = events.filter(event => event.type === 'step-rolled-back').map(event => (event as {step: {number: number}}).step.number);
		expect(order).toEqual([3, 2, 1]);
		expect(events.filter(event => event.type === 'step-failed').map(event => (event as {step: {number: number}}).step.number)).toEqual([4]);
		const stored = (await loadMigration(target.db, 'MIG-EXEC'))!;
		expect(stored.phase).toBe('ROLLED_BACK');
		expect(stored.steps.map(step => step.status)).toEqual(executor.plan.steps.map(step => (step.number < 4 ? 'rolled_back' : step.number === 4 ? 'failed' : 'pending')));
		expect(await snapshot(target)).toEqual(before);
		// The history tells what happened, in order; each undone step took some time.
		const history = (await readHistory(target.db, 'MIG-EXEC')).map(entry => `${entry.phase}: ${entry.message}`);
		expect(history.slice(-5)).toEqual([
			'FAILED: Step 4 failed: injected failure at step 4 (--fail-at)',
			...[3, 2, 1].map(number => `ROLLBACK: Rolled back: ${executor.plan.steps[number - 1]!.description}`),
			'ROLLED_BACK: Migration MIG-EXEC rolled back',
		]);
		for (const event of events) {
			if (event.type !== 'step-rolled-back') continue;
			expect(event.durationMs).toBeGreaterThan(0);
			expect(event.durationMs).toBeLessThanOrEqual(elapsed);
		}
		// The failed step's own time, within the run.
		expect(executor.plan.steps[3]!.durationMs).toBeGreaterThan(0);
		expect(executor.plan.steps[3]!.durationMs).toBeLessThanOrEqual(elapsed);
		await expect(executor.step()).rejects.toMatchObject({code: 'refused', message: 'migration MIG-EXEC is rolled back', hint: 'run it again from its plan file to start afresh'});
		// Rolling back again does nothing and tells nothing.
		const told = (await readHistory(target.db, 'MIG-EXEC')).length;
		await executor.rollback();
		expect(executor.plan.phase).toBe('ROLLED_BACK');
		expect(await readHistory(target.db, 'MIG-EXEC')).toHaveLength(told);
	});

	it('a failure of the final step (its transaction undone by the server) rolls back every other step exactly', async () => {
		await resetSchema(target.db, setup);
		const before = await snapshot(target);
		const compiled = await compileOn(target.db, addNickname);
		const last = compiled.steps.at(-1)!;
		expect(last.final).toBe(true);
		const failing = await Executor.open(target.db, compiled, {batchSize: 7, failAt: last.number});
		expect(await failing.run()).toMatchObject({outcome: 'rolled-back', step: {number: last.number}});
		expect(await snapshot(target)).toEqual(before);
	});

	it('armFailure fails exactly the next step, once', async () => {
		const {executor} = await open();
		await executor.step();
		executor.armFailure();
		expect(executor.failureArmed).toBe(true);
		const outcome = await executor.step();
		expect(outcome).toMatchObject({outcome: 'rolled-back', step: {number: 2}});
		expect(executor.failureArmed).toBe(false);
	});

	it('a failing check before the step runs nothing and leaves the executor usable', async () => {
		let refuse = true;
		const {executor} = await open({
			beforeStep: async () => {
				if (refuse) throw new ZdmError('refused', 'the database is held by another zdm-tui', 'wait');
			},
		});
		// The check's own error, as it is: not taken for a lost connection.
		await expect(executor.step()).rejects.toMatchObject({code: 'refused', message: 'the database is held by another zdm-tui'});
		await expect(executor.rollback()).rejects.toMatchObject({code: 'refused', message: 'the database is held by another zdm-tui'});
		expect(executor.plan.steps.every(step => step.status === 'pending')).toBe(true);
		expect(executor.running).toBe(false);
		refuse = false;
		expect(await executor.step()).toMatchObject({outcome: 'executed', step: {number: 1}});
	});

	it('runs each step kind as it must: a script as one multi-statement transaction under the short lock_timeout, an index concurrently, and undoes a failed build', async () => {
		await resetSchema(target.db, setup);
		const file = plan({
			id: 'MIG-KINDS',
			operations: [
				// Two statements: sent as one extended-protocol query, they would be refused.
				{sql: {up: "CREATE TABLE notes AS SELECT current_setting('lock_timeout') AS note; INSERT INTO notes VALUES ('second')", down: 'DROP TABLE notes'}},
				{create_index: {table: 'users', name: 'users_email_idx', columns: ['email'], unique: true}},
			],
		});
		const before = await snapshot(target);
		const compiled = await compileOn(target.db, file);
		// Then zdm's own last expand step, the version schema (operation -1).
		expect(compiled.steps.map(step => step.kind)).toEqual(['script', 'concurrent', 'ddl']);
		expect(compiled.steps[2]!.operation).toBe(-1);
		// A failure after the concurrent build: the rollback drops the index it built, then the table.
		const failing = await Executor.open(target.db, compiled, {failAt: 2, lock: {lockTimeoutMs: 321}});
		expect(await failing.run()).toMatchObject({outcome: 'rolled-back', step: {number: 2}});
		expect(await snapshot(target)).toEqual(before);
		const executor = await Executor.open(target.db, await compileOn(target.db, file), {lock: {lockTimeoutMs: 321}});
		expect(await executor.run()).toEqual({outcome: 'complete'});
		expect((await target.db.query<{note: string}>('SELECT note FROM notes ORDER BY note')).rows.map(row => row.note)).toEqual(['321ms', 'second']);
		const {rows} = await target.db.query<{valid: boolean}>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass");
		expect(rows).toEqual([{valid: true}]);
	});

	it('an undone step and its mark commit together: a rollback cut short keeps both, and the next rollback finishes exactly', async () => {
		const {executor} = await open();
		const before = await snapshot(target);
		await executor.run('MIGRATING');
		let cut = true;
		executor.on(event => {
			// Storing the mark of the add_column step's undo fails (as a crash there would).
			if (cut && event.type === 'history' && event.entry.message === `Rolled back: ${executor.plan.steps[0]!.description}`) throw new Error('cut short');
		});
		await expect(executor.rollback()).rejects.toThrow('cut short');
		// Steps 3 and 2 are undone; step 1's undo went with its mark: the column is still there.
		expect((await loadMigration(target.db, 'MIG-EXEC'))!.steps.map(step => step.status)).toEqual(['executed', 'rolled_back', 'rolled_back', ...executor.plan.steps.slice(3).map(() => 'pending')]);
		expect((await target.db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname'")).rows).toHaveLength(1);
		cut = false;
		await executor.rollback();
		expect(executor.plan.phase).toBe('ROLLED_BACK');
		expect(await snapshot(target)).toEqual(before);
	});

	it('rolls back a step left running (an index built, its mark never stored) and a script step\'s multi-statement down', async () => {
		await resetSchema(target.db, setup);
		const before = await snapshot(target);
		const file = plan({
			id: 'MIG-RUNNING',
			operations: [
				{sql: {up: 'CREATE TABLE notes (id int); CREATE TABLE tags (id int)', down: 'DROP TABLE tags; DROP TABLE notes'}},
				{create_index: {table: 'users', name: 'users_email_idx', columns: ['email']}},
			],
		});
		const executor = await Executor.open(target.db, await compileOn(target.db, file));
		executor.on(event => {
			// The build finished; the process stops before the step's mark is stored.
			if (event.type === 'history' && event.entry.message === executor.plan.steps[1]!.description) throw new ZdmError('interrupted', 'stopped', 'run again');
		});
		await executor.step();
		await expect(executor.step()).rejects.toThrow('stopped');
		expect((await loadMigration(target.db, 'MIG-RUNNING'))!.steps.map(step => step.status)).toEqual(['executed', 'running', 'pending']);
		expect((await target.db.query("SELECT 1 FROM pg_class WHERE relname = 'users_email_idx'")).rows).toHaveLength(1);
		await (await Executor.resume(target.db, 'MIG-RUNNING')).rollback();
		expect(await snapshot(target)).toEqual(before);
		expect((await loadMigration(target.db, 'MIG-RUNNING'))!.steps.map(step => step.status)).toEqual(['rolled_back', 'rolled_back', 'pending']);
	});

	it('refuses to roll back past an executed irreversible step, changing nothing', async () => {
		await resetSchema(target.db, setup);
		const executor = await Executor.open(target.db, await compileOn(target.db, plan({id: 'MIG-IRREVERSIBLE', operations: [{drop_column: {table: 'users', column: 'email'}}]})));
		executor.on(event => {
			// The drop committed; the process stops before the migration is marked COMPLETE.
			if (event.type === 'history' && event.entry.phase === 'COMPLETE') throw new Error('stopped before COMPLETE');
		});
		await expect(executor.run()).rejects.toThrow('stopped before COMPLETE');
		const stored = (await loadMigration(target.db, 'MIG-IRREVERSIBLE'))!;
		expect(stored.phase).toBe('CONTRACTING');
		const after = await snapshot(target);
		const again = await Executor.resume(target.db, 'MIG-IRREVERSIBLE');
		const refused = await again.rollback().catch((error: unknown) => error);
		expect(refused).toBeInstanceOf(ZdmError);
		expect((refused as ZdmError).code).toBe('refused');
		expect((refused as ZdmError).oneLine()).toBe('step 2 (Drop column "email" from "users") cannot be undone — the old shape is gone; write a new migration that reverses it');
		expect(await snapshot(target)).toEqual(after);
		expect(await loadMigration(target.db, 'MIG-IRREVERSIBLE')).toEqual(stored);
		// Every step is done, only COMPLETE was not stored: the next run stores it, even one told to stop before the contract.
		expect(again.next).toBeUndefined();
		expect(await again.run('CONTRACTING')).toEqual({outcome: 'complete'});
		expect(again.running).toBe(false);
		expect((await loadMigration(target.db, 'MIG-IRREVERSIBLE'))!.phase).toBe('COMPLETE');
		expect(await snapshot(target)).toEqual(after);
	});

	it('complete\'s failing contract step undoes only the contract (newest first, a concurrent drop rebuilt) and leaves the migration started; complete then succeeds', async () => {
		await resetSchema(target.db, `${setup}\nCREATE INDEX users_email_idx ON users (email);`);
		const file = plan({id: 'MIG-CONTRACT', operations: [{add_column: {table: 'users', column: {name: 'nickname', type: 'text', nullable: false}, up: 'lower(username)'}}, {drop_index: {name: 'users_email_idx'}}]});
		const executor = await Executor.open(target.db, await compileOn(target.db, file), {batchSize: 7, keepStartedOnContractFailure: true});
		const events: ExecutorEvent[] = [];
		executor.on(event => events.push(event));
		await executor.run('CONTRACTING');
		const started = await snapshot(target);
		const dropIndex = executor.plan.steps.find(step => step.phase === 'CONTRACTING' && step.kind === 'concurrent')!;
		const contractBefore = executor.plan.steps.filter(step => step.phase === 'CONTRACTING' && step.number < dropIndex.number);
		expect(contractBefore.length).toBeGreaterThan(1);
		while (executor.next !== dropIndex) expect(await executor.step()).toMatchObject({outcome: 'executed'});
		executor.armFailure();
		expect(await executor.step()).toMatchObject({outcome: 'contract-failed', step: {number: dropIndex.number}});
		expect(events.filter(event => event.type === 'step-rolled-back').map(event => (event as {step: {number: number}}).step.number)).toEqual(contractBefore.map(step => step.number).reverse());
		expect(await snapshot(target)).toEqual(started);
		const stored = (await loadMigration(target.db, 'MIG-CONTRACT'))!;
		expect(stored.phase).toBe('MIGRATING');
		expect(executor.plan.phase).toBe('MIGRATING');
		expect(stored.steps.map(step => step.status)).toEqual(executor.plan.steps.map(step => (step.phase === 'CONTRACTING' ? 'pending' : 'executed')));
		const history = (await readHistory(target.db, 'MIG-CONTRACT')).map(entry => `${entry.phase}: ${entry.message}`);
		expect(history.slice(-1 - contractBefore.length)).toEqual([
			`FAILED: Step ${dropIndex.number} failed: injected failure at step ${dropIndex.number} (--fail-at); the contract is undone and the migration stays started`,
			...contractBefore.reverse().map(step => `ROLLBACK: Undone until complete runs again: ${step.description}`),
		]);
		expect(await executor.run()).toEqual({outcome: 'complete'});
		expect((await target.db.query("SELECT 1 FROM pg_class WHERE relname = 'users_email_idx'")).rows).toHaveLength(0);
	});

	const lost = () => Object.assign(new Error('Connection terminated unexpectedly\nat the socket'), {code: 'ECONNRESET'});
	const resume = 'run the same command again to resume';
	const oneLine = async (work: Promise<unknown>) => work.then(() => 'no error', (error: unknown) => (error instanceof ZdmError ? error.oneLine() : `not a ZdmError: ${String(error)}`));

	it('a lost connection stops without rolling back, saying where: before a step, during one (pending again, as stored), during the rollback after a failure', async () => {
		let loseBefore = true;
		const {executor, events} = await open({beforeStep: async () => {
			if (loseBefore) throw lost();
		}});
		expect(await oneLine(executor.step())).toBe(`lost the connection to the database during the check before the next step (Connection terminated unexpectedly); nothing half-done was kept and the state is saved — ${resume}`);
		await expect(executor.rollback()).rejects.toThrow('during the check before the next step (Connection terminated unexpectedly)');
		loseBefore = false;

		let loseAt: string | undefined = executor.plan.steps[0]!.description;
		executor.on(event => {
			if (event.type === 'history' && event.entry.message === loseAt) throw lost();
		});
		expect(await oneLine(executor.step())).toBe(`lost the connection to the database during step 1 (Connection terminated unexpectedly); nothing half-done was kept and the state is saved — ${resume}`);
		expect(executor.plan.steps[0]!.status).toBe('pending');
		expect((await loadMigration(target.db, 'MIG-EXEC'))!.steps[0]!.status).toBe('pending');
		expect(events.some(event => event.type === 'step-failed' || event.type === 'step-rolled-back')).toBe(false);
		expect(executor.running).toBe(false);

		loseAt = `Rolled back: ${executor.plan.steps[0]!.description}`;
		expect(await executor.step()).toMatchObject({outcome: 'executed', step: {number: 1}});
		executor.armFailure();
		await expect(executor.step()).rejects.toThrow('lost the connection to the database during the rollback after step 2 failed (injected failure at step 2 (--fail-at)) (Connection terminated unexpectedly)');
		expect(executor.running).toBe(false);
		// What was undone is stored; the rest is finished by the next run.
		expect(executor.rollingBack).toBe(true);
		await expect(executor.rollback()).rejects.toThrow('lost the connection to the database during the rollback (Connection terminated unexpectedly)');
		loseAt = undefined;
		expect(await executor.step()).toEqual({outcome: 'rolled-back', step: executor.plan.steps[1], error: 'finished the rollback that was interrupted after step 2 failed'});
		expect((await loadMigration(target.db, 'MIG-EXEC'))!.phase).toBe('ROLLED_BACK');
	});

	it('a rollback cut short is finished by the next run(), even one told to stop before the contract, and reported as such', async () => {
		const {executor} = await open();
		const before = await snapshot(target);
		await executor.run('CONTRACTING');
		let cut = true;
		executor.on(event => {
			if (cut && event.type === 'history' && event.entry.message === `Rolled back: ${executor.plan.steps[0]!.description}`) throw new Error('cut short');
		});
		await expect(executor.rollback()).rejects.toThrow('cut short');
		expect(executor.rollingBack).toBe(true);
		cut = false;
		const resumed = await Executor.resume(target.db, 'MIG-EXEC');
		expect(resumed.rollingBack).toBe(true);
		const outcome = await resumed.run('CONTRACTING');
		// Steps 4 to 2 were undone before the cut: the first of them names the rollback.
		expect(outcome).toEqual({outcome: 'rolled-back', step: resumed.plan.steps[1], error: 'finished the rollback that was interrupted'});
		expect(resumed.plan.phase).toBe('ROLLED_BACK');
		expect(resumed.rollingBack).toBe(false);
		expect(await snapshot(target)).toEqual(before);
	});

	it('run() stops between steps once its signal is aborted, the state saved', async () => {
		const abort = new AbortController();
		const {executor} = await open({signal: abort.signal});
		executor.on(event => {
			if (event.type === 'step-executed' && event.step.number === 2) abort.abort();
		});
		expect(await oneLine(executor.run())).toBe(`interrupted after step 2; the state is saved — ${resume}`);
		expect((await loadMigration(target.db, 'MIG-EXEC'))!.steps.map(step => step.status)).toEqual(executor.plan.steps.map(step => (step.number <= 2 ? 'executed' : 'pending')));
	});

	it('a backfill stopped by the signal keeps its finished batches and says so; the next run resumes it', async () => {
		const abort = new AbortController();
		const {executor, events} = await open({signal: abort.signal});
		// Rows on a few pages, so the backfill has batches after the first (a batch is whole pages).
		await target.db.query("INSERT INTO users (username, email) SELECT 'User' || g, 'user' || g || '@example.com' FROM generate_series(31, 1500) g");
		let saved = 0;
		executor.on(event => {
			if (event.type === 'batch' && event.step.number === 4 && saved === 0) {
				saved = event.rowsDone;
				abort.abort();
			}
		});
		expect(await oneLine(executor.run())).toBe(`interrupted during the backfill of step 4; its finished batches are saved — ${resume}`);
		expect((await loadMigration(target.db, 'MIG-EXEC'))!.steps.map(step => step.status)).toEqual(executor.plan.steps.map(step => (step.number < 4 ? 'executed' : step.number === 4 ? 'running' : 'pending')));
		const resumed = await Executor.resume(target.db, 'MIG-EXEC', {batchSize: 7});
		const batches: number[] = [];
		resumed.on(event => {
			if (event.type === 'batch' && event.step.number === 4) batches.push(event.rowsDone);
		});
		expect(await resumed.run()).toEqual({outcome: 'complete'});
		expect(saved).toBeGreaterThan(0);
		expect(batches.length).toBeGreaterThanOrEqual(2);
		// The resumed run counts on from the rows the stopped one saved.
		expect(batches[0]).toBeGreaterThan(saved);
		expect(batches.at(-1)).toBe(1500);
	});

	it('rollback() while a step runs is refused, and so is step() while a rollback runs', async () => {
		const {executor} = await open();
		const running = executor.step();
		await expect(executor.rollback()).rejects.toMatchObject({code: 'refused', message: 'a step is running', hint: 'wait for it to finish, then roll back'});
		expect(await running).toMatchObject({outcome: 'executed', step: {number: 1}});
		const rolling = executor.rollback();
		await expect(executor.step()).rejects.toMatchObject({code: 'refused', message: 'a step is already running'});
		await rolling;
		expect(executor.plan.phase).toBe('ROLLED_BACK');
		expect(executor.plan.steps.map(step => step.status)).toEqual(executor.plan.steps.map(step => (step.number === 1 ? 'rolled_back' : 'pending')));
	});

	it('announces each step as it starts, then as it ends; a listener that unsubscribed hears nothing more', async () => {
		const {executor, events} = await open();
		const heard: string[] = [];
		const off = executor.on(event => heard.push(event.type));
		await executor.step();
		off();
		expect(await executor.run()).toEqual({outcome: 'complete'});
		expect(heard.filter(type => type.startsWith('step-'))).toEqual(['step-started', 'step-executed']);
		const told = events.flatMap(event => (event.type === 'step-started' || event.type === 'step-executed' ? [`${event.type} ${event.step.number}`] : []));
		expect(told).toEqual(executor.plan.steps.flatMap(step => [`step-started ${step.number}`, `step-executed ${step.number}`]));
	});

	it('keepStartedOnContractFailure keeps the migration started only for a contract step: a failure before the contract still rolls back everything', async () => {
		const {executor} = await open({failAt: 2, keepStartedOnContractFailure: true});
		const before = await snapshot(target);
		expect(await executor.run()).toMatchObject({outcome: 'rolled-back', step: {number: 2}});
		expect((await loadMigration(target.db, 'MIG-EXEC'))!.phase).toBe('ROLLED_BACK');
		expect(await snapshot(target)).toEqual(before);
	});

	it('a rollback after a failure that breaks for another reason than a lost connection reports that error as it is', async () => {
		const {executor} = await open({failAt: 2});
		executor.on(event => {
			if (event.type === 'history' && event.entry.message === `Rolled back: ${executor.plan.steps[0]!.description}`) throw new Error('disk full');
		});
		const error = await executor.run().catch((error: unknown) => error);
		expect(error).not.toBeInstanceOf(ZdmError);
		expect((error as Error).message).toBe('disk full');
		expect(executor.running).toBe(false);
		expect(executor.rollingBack).toBe(true);
	});

	it('an index step cut short after its build runs again in the same process: running in memory as stored, so the built index is dropped and built anew', async () => {
		await resetSchema(target.db, setup);
		const file = plan({id: 'MIG-AGAIN', operations: [{create_index: {table: 'users', name: 'users_email_idx', columns: ['email']}}]});
		const executor = await Executor.open(target.db, await compileOn(target.db, file));
		let cut = true;
		executor.on(event => {
			if (cut && event.type === 'history' && event.entry.message === executor.plan.steps[0]!.description) throw new ZdmError('interrupted', 'stopped', 'run again');
		});
		await expect(executor.step()).rejects.toThrow('stopped');
		expect(executor.plan.steps[0]!.status).toBe('running');
		expect((await loadMigration(target.db, 'MIG-AGAIN'))!.steps[0]!.status).toBe('running');
		cut = false;
		expect(await executor.run()).toEqual({outcome: 'complete'});
		expect((await target.db.query<{valid: boolean}>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass")).rows).toEqual([{valid: true}]);
		expect((await loadMigration(target.db, 'MIG-AGAIN'))!.steps[0]!.status).toBe('executed');
	});

	it('a script step cut off by a lost connection is pending again in memory, as stored: a rollback in the same process does not run its down', async () => {
		await resetSchema(target.db, setup);
		const before = await snapshot(target);
		const file = plan({id: 'MIG-SCRIPT-LOST', operations: [{sql: {up: 'CREATE TABLE notes (id int); CREATE TABLE tags (id int)', down: 'DROP TABLE tags; DROP TABLE notes'}}]});
		const executor = await Executor.open(target.db, await compileOn(target.db, file));
		let lose = true;
		executor.on(event => {
			if (lose && event.type === 'history' && event.entry.message === executor.plan.steps[0]!.description) throw lost();
		});
		expect(await oneLine(executor.step())).toBe(`lost the connection to the database during step 1 (Connection terminated unexpectedly); nothing half-done was kept and the state is saved — ${resume}`);
		expect(executor.plan.steps[0]!.status).toBe('pending');
		lose = false;
		await executor.rollback();
		expect(executor.plan.phase).toBe('ROLLED_BACK');
		expect(await snapshot(target)).toEqual(before);
	});

	it('a verify stopped by the signal is pending again in memory, as stored, and starts over on the next run', async () => {
		// Enough rows for the verify to read more than one range of pages.
		await resetSchema(target.db, setup.replace('generate_series(1, 30)', 'generate_series(1, 2000)'));
		const abort = new AbortController();
		const executor = await Executor.open(target.db, await compileOn(target.db, addNickname), {batchSize: 500, signal: abort.signal});
		executor.on(event => {
			if (event.type === 'batch' && event.step.kind === 'verify') abort.abort();
		});
		expect(await oneLine(executor.run())).toMatch(/^interrupted during the verify of step \d+; it starts over next time/);
		const verify = executor.plan.steps.find(step => step.kind === 'verify')!;
		expect(verify.status).toBe('pending');
		expect((await loadMigration(target.db, 'MIG-EXEC'))!.steps[verify.number - 1]!.status).toBe('pending');
		expect(await (await Executor.resume(target.db, 'MIG-EXEC', {batchSize: 500})).run()).toEqual({outcome: 'complete'});
	});

	it('with no --batch-size the backfill sizes its batches toward the target time and fills every row', async () => {
		// More rows than the first batch of 1000, so that a second batch is sized by the first one's time.
		await resetSchema(target.db, setup.replace('generate_series(1, 30)', 'generate_series(1, 2500)'));
		const executor = await Executor.open(target.db, await compileOn(target.db, addNickname));
		const sizes: number[] = [];
		executor.on(event => {
			if (event.type === 'batch' && event.step.kind === 'backfill') sizes.push(event.batchSize);
		});
		expect(await executor.run()).toEqual({outcome: 'complete'});
		expect(sizes.length).toBeGreaterThan(1);
		expect(sizes.every(size => Number.isInteger(size) && size > 0)).toBe(true);
		expect((await target.db.query('SELECT count(*)::int AS n FROM users WHERE nickname = lower(username)')).rows).toEqual([{n: 2500}]);
	});

	it('a step failing with a database error rolls back, reporting the error\'s first line', async () => {
		await resetSchema(target.db, setup);
		const file = plan({id: 'MIG-DIVIDE', operations: [{sql: {up: 'CREATE TABLE notes (id int)', down: 'DROP TABLE notes'}}, {sql: {up: 'SELECT 1 / 0', down: 'SELECT 1'}}]});
		const executor = await Executor.open(target.db, await compileOn(target.db, file));
		expect(await executor.run()).toEqual({outcome: 'rolled-back', step: executor.plan.steps[1], error: 'division by zero'});
		expect((await target.db.query("SELECT 1 FROM pg_class WHERE relname = 'notes'")).rows).toEqual([]);
	});
});

describe.skipIf(!serverUrl())('the executor behind a lock, on a server', () => {
	let target: Target & {close(): Promise<void>};
	beforeAll(async () => {
		target = await openTarget('server');
	});
	afterAll(async () => target?.close());

	it('a step waiting for a lock reports each wait with the transaction that blocks it, and gives up after --max-lock-wait with the table as before', async () => {
		await resetSchema(target.db, setup);
		const before = await snapshot(target);
		const executor = await Executor.open(target.db, await compileOn(target.db, addNickname), {batchSize: 7, lock: {lockTimeoutMs: 30, maxLockWaitMs: 300}});
		const waits: Array<{step: number; blockers: number[]}> = [];
		executor.on(event => {
			if (event.type === 'lock-wait') waits.push({step: event.step.number, blockers: event.blockers.map(blocker => blocker.pid)});
		});
		// Another application's transaction (zdm-tui's own sessions are never shown as blockers).
		const holder = new pg.Client({connectionString: target.url, application_name: 'an-application'});
		await holder.connect();
		try {
			await holder.query('BEGIN');
			await holder.query('LOCK TABLE public.users IN ACCESS SHARE MODE');
			const {rows} = await holder.query<{pid: number}>('SELECT pg_backend_pid() AS pid');
			expect(await executor.step()).toMatchObject({outcome: 'rolled-back', step: {number: 1}, error: expect.stringMatching(/^could not get the lock after \d+ attempts/)});
			expect(waits.length).toBeGreaterThan(0);
			expect(waits.every(wait => wait.step === 1 && wait.blockers.includes(rows[0]!.pid))).toBe(true);
		} finally {
			await holder.end();
		}

		expect(await snapshot(target)).toEqual(before);
	});

	it('the backfill behind rows another transaction holds reports each wait too, then gives up with the table as before', async () => {
		await resetSchema(target.db, setup);
		const before = await snapshot(target);
		const executor = await Executor.open(target.db, await compileOn(target.db, addNickname), {batchSize: 7, lock: {lockTimeoutMs: 30, maxLockWaitMs: 1000}});
		await executor.run('MIGRATING');
		const backfill = executor.next!;
		expect(backfill.kind).toBe('backfill');
		const holder = new pg.Client({connectionString: target.url, application_name: 'an-application'});
		await holder.connect();
		const waits: number[] = [];
		executor.on(event => {
			if (event.type === 'lock-wait') waits.push(event.step.number);
			// Once the backfill gives up, the rows are let go, so that its rollback can run.
			if (event.type === 'step-failed') void holder.query('ROLLBACK');
		});
		try {
			await holder.query('BEGIN');
			await holder.query('SELECT id FROM public.users FOR UPDATE');
			expect(await executor.step()).toMatchObject({outcome: 'rolled-back', step: {number: backfill.number}});
		} finally {
			await holder.end();
		}

		expect(waits.length).toBeGreaterThan(0);
		expect(new Set(waits)).toEqual(new Set([backfill.number]));
		expect(await snapshot(target)).toEqual(before);
	});
});
