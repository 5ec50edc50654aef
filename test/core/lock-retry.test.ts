import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import type {ExecutorEvent} from '../../source/core/events.js';
import {Executor} from '../../source/core/executor.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openPostgres} from '../../source/db/postgres.js';
import {seedUsers} from '../../source/db/seed.js';
import {findPgBin, startPgServer, type PgServer} from '../support/pg-server.js';

const sleep = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Autovacuum starts on a table after a backfill rewrote it, and holds a lock every contract step
 * conflicts with. A server of its own, whose launcher looks every second, and a table whose
 * vacuum crawls (cost limit 1), so the autovacuum is there when the step comes, and stays.
 */
describe.skipIf(!findPgBin())('a step and the autovacuum in its way (server)', () => {
	let server: PgServer;
	let db: Database;
	beforeAll(async () => {
		server = await startPgServer({settings: {autovacuum_naptime: '1'}});
		db = await openPostgres(server.url);
		await seedUsers(db, {rows: 20_000});
	}, 60_000);
	afterAll(async () => {
		await db?.close();
		await server?.stop();
	});

	/** The autovacuum worker on a table, once the launcher has started one (or undefined after 30 s). */
	async function autovacuumOn(table: string): Promise<number | undefined> {
		for (let i = 0; i < 300; i++) {
			const {rows} = await db.query<{pid: number}>("SELECT pid FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND query LIKE '%' || $1 || '%'", [table]);
			if (rows[0]) return rows[0].pid;
			await sleep(100);
		}

		return undefined;
	}

	/** An add_column on the table, with lock waits short enough that waiting the autovacuum out would fail it. */
	async function addColumn(id: string, table: string) {
		const plan = compilePlan(validatePlan({id, operations: [{add_column: {table, column: {name: 'note', type: 'text', nullable: true}}}]}), await readCatalog(db)).plan;
		const executor = await Executor.open(db, plan, {lock: {lockTimeoutMs: 200, maxLockWaitMs: 2000}});
		const events: ExecutorEvent[] = [];
		executor.on(event => events.push(event));
		return {executor, events};
	}

	it('is cancelled before the step takes its lock, so the step never queues behind it (and writers never queue behind the step)', async () => {
		await db.query('ALTER TABLE users SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)');
		await db.query("UPDATE users SET email = email || '.x'");
		const pid = await autovacuumOn('users');
		expect(pid, 'autovacuum started on users').toBeDefined();
		const {executor, events} = await addColumn('AV-1', 'users');
		// Anyone else busy meanwhile keeps their query: only the autovacuum is cancelled.
		const bystander = await db.session();
		try {
			const busy = bystander.query('SELECT pg_sleep(1.5) AS slept');
			await sleep(200);
			await executor.run();
			expect(executor.plan.phase).toBe('COMPLETE');
			await expect(busy).resolves.toMatchObject({rows: [{slept: ''}]});
		} finally {
			await bystander.release();
		}

		expect(events.filter(event => event.type === 'lock-wait')).toEqual([]);
		expect(events.find(event => event.type === 'autovacuum-cancelled')).toMatchObject({table: 'users', pids: [pid]});
	}, 60_000);

	it('on a partitioned table, the autovacuum of a partition is cancelled too (a step on the parent locks every partition)', async () => {
		await db.script(`CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, name text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
			CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')
			  WITH (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1);
			INSERT INTO events SELECT g, date '2026-01-01' + (g % 300), 'e' || g FROM generate_series(1, 20000) g;
			UPDATE events SET name = name || '.x';`);
		const pid = await autovacuumOn('events_2026');
		expect(pid, 'autovacuum started on the partition').toBeDefined();
		const {executor, events} = await addColumn('AV-2', 'events');
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		expect(events.filter(event => event.type === 'lock-wait')).toEqual([]);
		expect(events.find(event => event.type === 'autovacuum-cancelled')).toMatchObject({table: 'events', pids: [pid]});
	}, 60_000);
});
