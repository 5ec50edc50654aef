import pg from 'pg';
import type {PgServer} from '../test/support/pg-server.js';
import {seededDatabase, serverWriters} from './server-db.js';
import {sleep, timed} from './stats.js';
import {startWriters, type WriterResult} from './writers.js';
import {runSample} from './zdm-run.js';
import type {WriterSettings} from './writers.js';

export interface BlockedDdl {
	blockerMs: number;
	lockTimeoutMs: number;
	/** The executor's expand DDL retried with a short lock_timeout while the blocker held the table. */
	zdm: {writes: WriterResult; ddlMs: number};
	/** A plain ALTER TABLE with no lock_timeout: it queues, and every writer queues behind it. */
	naive: {writes: WriterResult; ddlMs: number};
}

/**
 * A long transaction (an ACCESS SHARE lock, as a long report query holds) sits on users. The DDL
 * that needs ACCESS EXCLUSIVE must wait; the question is whether writers wait with it.
 */
async function holdTable(url: string, ms: number): Promise<{released: Promise<void>}> {
	const blocker = new pg.Client({connectionString: url, application_name: 'bench-blocker'});
	await blocker.connect();
	await blocker.query('BEGIN');
	await blocker.query('LOCK TABLE users IN ACCESS SHARE MODE');
	const released = (async () => {
		await sleep(ms);
		await blocker.query('COMMIT');
		await blocker.end();
	})();
	return {released};
}

async function scenario(server: PgServer, name: string, load: WriterSettings, blockerMs: number, ddl: (url: string) => Promise<void>) {
	const rows = 10_000;
	const {url, db} = await seededDatabase(server, name, rows);
	await db.close();
	const writers = await serverWriters(url, load.writers);
	try {
		const traffic = startWriters(writers.statementFor, {writers: load.writers, maxId: rows, pauseMs: load.pauseMs});
		await sleep(300);
		traffic.take();
		const blocker = await holdTable(url, blockerMs);
		const {ms} = await timed(async () => ddl(url));
		await blocker.released;
		await sleep(300);
		const writes = traffic.take();
		await traffic.stop();
		return {writes, ddlMs: ms};
	} finally {
		await writers.close();
	}
}

export async function blockedDdl(server: PgServer, load: WriterSettings, blockerMs: number, lockTimeoutMs: number): Promise<BlockedDdl> {
	const zdm = await scenario(server, 'bench_blocked_zdm', load, blockerMs, async url => {
		const {openPostgres} = await import('../source/db/postgres.js');
		const db = await openPostgres(url);
		try {
			// The whole sample: its expand DDL meets the blocker and retries aside.
			await runSample(db, {lock: {lockTimeoutMs}});
		} finally {
			await db.close();
		}
	});
	const naive = await scenario(server, 'bench_blocked_naive', load, blockerMs, async url => {
		const client = new pg.Client({connectionString: url});
		await client.connect();
		try {
			await client.query("SET lock_timeout = '0'");
			await client.query('ALTER TABLE users ADD COLUMN display_name text');
		} finally {
			await client.end();
		}
	});
	return {blockerMs, lockTimeoutMs, zdm, naive};
}
