import {readdirSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {preparePlan} from '../../source/commands/prepare.js';
import {compilePlan} from '../../source/core/compile.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {ExecutorEvent} from '../../source/core/events.js';
import {Executor} from '../../source/core/executor.js';
import type {Database, Session} from '../../source/db/database.js';
import {seedUsers} from '../../source/db/seed.js';
import {ensureStateSchema} from '../../source/db/state.js';
import {runCli} from '../support/cli.js';
import {backends, openBackend} from '../support/databases.js';
import {snapshot} from '../support/refusal.js';
import {resetMigrations} from '../support/reset.js';

const samples = readdirSync('samples')
	.filter(name => !name.startsWith('unsafe-') && /\.(ya?ml|json)$/.test(name))
	.map(name => `samples/${name}`);

/** The sync triggers off for a moment: a write past them is exactly what verify must catch. */
async function pastTheTrigger(db: Database, write: string) {
	await db.query('ALTER TABLE users DISABLE TRIGGER USER');
	await db.query(write);
	await db.query('ALTER TABLE users ENABLE TRIGGER USER');
}

describe.each(backends())('verify before the point of no return (%s)', backend => {
	let db: Database;
	let url: string | undefined;
	let close: () => Promise<void>;
	const sessions: Session[] = [];
	beforeAll(async () => {
		({db, url, close} = await openBackend(backend, 300));
		await ensureStateSchema(db);
	});
	afterAll(async () => {
		for (const session of sessions) await session.release();
		await close();
	});

	async function reset() {
		for (const session of sessions.splice(0)) await session.release();
		await resetMigrations(db);
		await db.query('DROP TABLE IF EXISTS users CASCADE');
		await seedUsers(db, {rows: 300});
		await ensureStateSchema(db);
	}

	/** `start` of a sample: expanded and backfilled, contract not begun. */
	async function start(path: string) {
		const prepared = await preparePlan(db, path);
		const executor = await Executor.open(db, prepared.plan, {batchSize: 100});
		await executor.run('CONTRACTING');
		const v2 = await db.session({schema: prepared.plan.versionSchema});
		sessions.push(v2);
		return {id: prepared.plan.id, v2};
	}

	for (const path of samples) {
		it(`${path}: every backfilled column is verified over every row before the old shape goes`, async () => {
			await reset();
			const prepared = await preparePlan(db, path);
			const backfills = prepared.plan.steps.filter(step => step.kind === 'backfill');
			const verifies = prepared.plan.steps.filter(step => step.kind === 'verify');
			const final = prepared.plan.steps.find(step => step.final);
			// A nullable add_column is not verifiable (verify-sql.ts); the samples' backfills all are.
			expect(verifies.map(step => step.verify!.column)).toEqual(backfills.map(step => step.backfill!.column));
			for (const verify of verifies) {
				expect(verify.phase).toBe('CONTRACTING');
				expect(verify.number).toBeLessThan(final!.number);
			}

			const executor = await Executor.open(db, prepared.plan, {batchSize: 100});
			const events: ExecutorEvent[] = [];
			executor.on(event => events.push(event));
			expect((await executor.run()).outcome).toBe('complete');
			for (const verify of verifies) {
				const batches = events.filter(event => event.type === 'batch' && event.step.number === verify.number);
				expect(batches.at(-1)).toMatchObject({rowsDone: 302, rowsTotal: 302});
			}
		});
	}

	it('a type change: a write past the trigger is refused at complete, naming the key; both versions keep working; --skip-verify completes', async () => {
		await reset();
		const {id, v2} = await start('samples/change-email-type.json');
		// A new-version write whose up∘down does not round-trip (up lower-cases): old = down(new) explains it.
		await v2.query("UPDATE users SET email = 'Mixed.Case@Example.com' WHERE id = 3");
		await pastTheTrigger(db, "UPDATE users SET email = 'Past.The@Trigger.com' WHERE id = 7");
		const before = await snapshot(db);

		// Even without keepStartedOnContractFailure (run, the dashboard): a mismatch never rolls back.
		const complete = await Executor.resume(db, id);
		const outcome = await complete.run();
		expect(outcome).toMatchObject({outcome: 'contract-failed', error: expect.stringMatching(/^verify refuses to contract: "users"\."_zdm_email_\w+" does not match "email" through up or down at key 7 \(new '[^']+', up 'past\.the@trigger\.com', old 'Past\.The@Trigger\.com', down '[^']+'\)/)});
		expect(complete.plan.phase).toBe('MIGRATING');
		expect((await db.state.load(db, id))!.phase).toBe('MIGRATING');
		expect(await snapshot(db)).toEqual(before);
		// Both versions still read and write, in step.
		await db.query("INSERT INTO users (username, email) VALUES ('v1-after', 'v1@example.com')");
		await v2.query("INSERT INTO users (username, email) VALUES ('v2-after', 'v2@example.com')");
		const seen = await v2.query<{email: string}>("SELECT email FROM users WHERE username IN ('v1-after', 'v2-after') ORDER BY username");
		expect(seen.rows.map(row => row.email)).toEqual(['v1@example.com', 'v2@example.com']);

		const skipped = await Executor.resume(db, id, {skipVerify: true});
		expect((await skipped.run()).outcome).toBe('complete');
		const history = await db.query<{message: string}>('SELECT message FROM zdm.history WHERE migration_id = $1', [id]);
		expect(history.rows.some(row => row.message.startsWith('Skipped (--skip-verify): Verify'))).toBe(true);
	});

	it('add_column: a row the old version wrote past the trigger has no value, and complete refuses; the new version\'s own values pass', async () => {
		await reset();
		const {id, v2} = await start('samples/add-display-name.yaml');
		await v2.query("UPDATE users SET display_name = 'Not From Up' WHERE id = 4");
		await pastTheTrigger(db, "INSERT INTO users (id, username, email) VALUES (900, 'sneaky', 'sneaky@example.com')");
		const outcome = await (await Executor.resume(db, id, {keepStartedOnContractFailure: true})).run();
		expect(outcome).toMatchObject({outcome: 'contract-failed', error: expect.stringMatching(/"display_name" does not match up at key 900 \(new NULL, up 'Sneaky'\)/)});
		await db.query("UPDATE users SET username = username WHERE id = 900");
		expect((await (await Executor.resume(db, id)).run()).outcome).toBe('complete');
		const row = await db.query<{display_name: string}>('SELECT display_name FROM users WHERE id IN (4, 900) ORDER BY id');
		expect(row.rows.map(r => r.display_name)).toEqual(['Not From Up', 'Sneaky']);
	});

	it('zdm-tui complete exits 1 naming the key, shows the step in --json, and --skip-verify completes', async () => {
		if (backend !== 'server') return;
		await reset();
		const server = ['--yes', '--database-url', url!];
		expect((await runCli(['start', 'samples/change-email-type.json', ...server])).code).toBe(0);
		await pastTheTrigger(db, "UPDATE users SET email = 'Past.The@Trigger.com' WHERE id = 7");
		const refused = await runCli(['complete', 'MIG-003', '--json', ...server]);
		expect(refused.code).toBe(1);
		const events = refused.lines.map(line => JSON.parse(line) as {type: string; step?: {description: string}; error?: string});
		expect(events.some(event => event.type === 'step-failed' && event.step?.description.startsWith('Verify'))).toBe(true);
		expect(events.at(-1)).toMatchObject({type: 'summary', phase: 'MIGRATING', error: expect.stringMatching(/verify refuses to contract.* at key 7 /)});
		const skipped = await runCli(['complete', 'MIG-003', '--skip-verify', ...server]);
		expect(skipped.code).toBe(0);
		expect(skipped.lines.at(-1)).toBe('MIG-003: COMPLETE, 100 %');
	});
	it('a partitioned table is read partition by partition: a write past the trigger in one partition is found', async () => {
		await reset();
		await db.script(`CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, name text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
			CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
			CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
			INSERT INTO events SELECT g, date '2025-01-01' + (g % 700), 'e' || g FROM generate_series(1, 3000) g;`);
		try {
			const file = validatePlan({id: 'V-PART', operations: [{add_column: {table: 'events', column: {name: 'label', type: 'text', nullable: false}, up: 'upper(name)'}}]});
			const executor = await Executor.open(db, compilePlan(file, await readCatalog(db)).plan, {batchSize: 100, keepStartedOnContractFailure: true});
			await executor.run('CONTRACTING');
			await db.script(`ALTER TABLE events DISABLE TRIGGER USER; INSERT INTO events VALUES (5000, '2026-06-01', 'late'); ALTER TABLE events ENABLE TRIGGER USER;`);
			expect(await executor.run()).toMatchObject({outcome: 'contract-failed', error: expect.stringMatching(/"label" does not match up at key \["5000", ?"2026-06-01"\] \(new NULL, up 'LATE'\)/)});
		} finally {
			await resetMigrations(db);
			await db.query('DROP TABLE events');
		}
	});

	it('behind a table held in ACCESS EXCLUSIVE, verify waits no longer than --max-lock-wait allows, then the contract fails and the migration stays started', async () => {
		if (backend !== 'server') return;
		await reset();
		const prepared = await preparePlan(db, 'samples/change-email-type.json');
		const executor = await Executor.open(db, prepared.plan, {batchSize: 100, keepStartedOnContractFailure: true, lock: {lockTimeoutMs: 100, maxLockWaitMs: 600}});
		await executor.run('CONTRACTING');
		const holder = await db.session();
		try {
			await holder.query('BEGIN');
			await holder.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
			const outcome = await Promise.race([executor.run(), new Promise(resolve => setTimeout(() => resolve('still waiting after 20 s'), 20_000))]);
			expect(outcome).toMatchObject({outcome: 'contract-failed', error: expect.stringMatching(/lock/)});
		} finally {
			await holder.query('ROLLBACK');
			await holder.release();
		}

		expect(executor.plan.phase).toBe('MIGRATING');
	}, 60_000);
});
