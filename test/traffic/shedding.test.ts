import pg from 'pg';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {prepareTraffic, type Traffic} from '../../source/traffic/index.js';
import {backends, openBackend} from '../support/databases.js';

/**
 * Overload: the database stops answering (a lock on a server, a transaction holding PGlite's one
 * backend) while the clock runs on. Requests come due at the rate; past the backlog's bound they
 * are shed, counted, and fail the zero-downtime verdict, and every request due is either answered
 * once or shed. The clock is performance.now() faked and moved by hand, so nothing depends on
 * how fast this machine is; the database and its lock are real.
 */

const rate = 20;
const interval = 1000 / rate;

describe.each(backends())('request shedding under overload on %s', backend => {
	let db: Database;
	let url: string | undefined;
	let close: () => Promise<void>;
	let traffic: Traffic | undefined;
	beforeAll(async () => {
		({db, url, close} = await openBackend(backend, 50));
	});
	afterAll(async () => close());
	afterEach(async () => {
		vi.useRealTimers();
		await traffic?.stop();
		traffic = undefined;
	});

	async function start() {
		const file = readPlanFile('samples/add-display-name.yaml');
		const {plan} = compilePlan(file, await readCatalog(db));
		vi.useFakeTimers({toFake: ['performance']});
		traffic = await prepareTraffic(db, file, plan, {rate, workers: 1, publishMs: 10, thresholdMs: 60_000});
		traffic.start();
		return traffic;
	}

	/** Wait (real time) until the counts reach a state; the database answers at its own pace. */
	async function until(reached: () => boolean, what: string) {
		const deadline = Date.now() + 20_000;
		while (!reached()) {
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(traffic?.getSnapshot().versions.v1)}`);
			await new Promise(resolve => setTimeout(resolve, 10));
		}
	}

	/** Make the database stop answering the application; resolves to the function that lets it go. */
	async function stall(): Promise<() => Promise<void>> {
		if (url) {
			const blocker = new pg.Client({connectionString: url});
			await blocker.connect();
			await blocker.query('BEGIN');
			await blocker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
			return async () => {
				await blocker.query('COMMIT');
				await blocker.end();
			};
		}

		let release!: () => void;
		const held = new Promise<void>(resolve => (release = resolve));
		let entered!: () => void;
		const inside = new Promise<void>(resolve => (entered = resolve));
		const transaction = db.transaction(async () => {
			entered();
			await held;
		});
		await inside;
		return async () => {
			release();
			await transaction;
		};
	}

	const v1 = () => traffic!.getSnapshot().versions.v1;

	it('keeping up: every request due is answered, none shed, the verdict holds', async () => {
		const running = await start();
		vi.advanceTimersByTime(2000);
		running.admitDue();
		const due = Math.floor(2000 / interval) + 1;
		await until(() => v1().requests === due, `${due} answered`);
		const final = await running.stop();
		expect(final.versions.v1).toMatchObject({requests: due, shed: 0, errors: 0});
		expect(final.verdict.zeroDowntime).toBe(true);
	});

	it('stalled for 12 s: the backlog stops at its bound and the rest is shed; each request due answered once or shed', async () => {
		// The clock stands still: exactly one request is due at the start, and it is answered.
		const running = await start();
		await until(() => v1().requests === 1, 'the first request answered');
		const release = await stall();
		const due = Math.floor(12_000 / interval) + 1;
		try {
			vi.advanceTimersByTime(12_000);
			running.admitDue();
			// Nothing more is answered while stalled; the bound (ten seconds of requests) is kept, the
			// rest is shed (one fewer when the worker took one in flight before the backlog filled).
			await until(() => v1().shed > 0, 'requests shed');
			expect(v1().requests).toBe(1);
			expect(v1().shed).toBeGreaterThanOrEqual(due - 1 - 10 * rate - 1);
			expect(v1().shed).toBeLessThanOrEqual(due - 1 - 10 * rate);
		} finally {
			await release();
		}

		await until(() => v1().requests + v1().shed === due, 'the backlog answered');
		const final = await running.stop();
		expect(final.versions.v1.requests + final.versions.v1.shed).toBe(due);
		expect(final.versions.v1.errors).toBe(0);
		expect(final.verdict.zeroDowntime).toBe(false);
		expect(final.verdict.reasons).toContain(`v1: ${final.versions.v1.shed} requests shed`);
	});
});
