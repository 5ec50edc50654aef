import type {PgServer} from '../test/support/pg-server.js';
import {seededDatabase, serverWriters} from './server-db.js';
import {sleep, timed} from './stats.js';
import {startWriters, type WriterResult} from './writers.js';
import {runSample, type BatchStats} from './zdm-run.js';

export interface BackfillComparison {
	rows: number;
	bigBang: {ms: number; writes: WriterResult};
	zdm: {backfillMs: number; totalMs: number; writes: WriterResult; batch: BatchStats};
	/** zdm throughput over big-bang throughput (same rows): big-bang time / backfill time. */
	throughputRatio: number;
}

export interface WriterSettings {
	writers: number;
	pauseMs: number;
}

// Let the writers settle into their rhythm before the measured window opens.
const warmUpMs = 500;
// A write stuck behind the big UPDATE finishes just after it commits: keep the window open for it.
const drainMs = 300;

/** One big UPDATE of the whole table, with writers around it. */
async function bigBang(server: PgServer, rows: number, load: WriterSettings) {
	const {url, db} = await seededDatabase(server, 'bench_big_bang', rows);
	const writers = await serverWriters(url, load.writers);
	try {
		await db.query('ALTER TABLE users ADD COLUMN display_name text');
		const traffic = startWriters(writers.statementFor, {writers: load.writers, maxId: rows, pauseMs: load.pauseMs});
		await sleep(warmUpMs);
		traffic.take();
		const {ms} = await timed(async () => db.query('UPDATE users SET display_name = initcap(username)'));
		await sleep(drainMs);
		const writes = traffic.take();
		await traffic.stop();
		return {ms, writes};
	} finally {
		await writers.close();
		await db.close();
	}
}

/** The add-display-name sample through the executor, writers on during the whole run. */
async function zdm(server: PgServer, rows: number, load: WriterSettings, targetBatchMs?: number) {
	const {url, db} = await seededDatabase(server, 'bench_zdm', rows);
	const writers = await serverWriters(url, load.writers);
	try {
		const traffic = startWriters(writers.statementFor, {writers: load.writers, maxId: rows, pauseMs: load.pauseMs});
		await sleep(warmUpMs);
		let writes: WriterResult | undefined;
		const run = await runSample(db, {targetBatchMs}, {
			beforeBackfill: () => void traffic.take(),
			async afterBackfill() {
				await sleep(drainMs);
				writes = traffic.take();
			},
		});
		await traffic.stop();
		return {backfillMs: run.backfillMs, totalMs: run.totalMs, writes: writes!, batch: run.batch};
	} finally {
		await writers.close();
		await db.close();
	}
}

/** One round; `bigBangFirst` alternates the order between rounds so neither always runs on a warmer server. */
export async function compareOnServer(server: PgServer, rows: number, load: WriterSettings, targetBatchMs?: number, bigBangFirst = false): Promise<BackfillComparison> {
	const first = bigBangFirst ? await bigBang(server, rows, load) : undefined;
	const zdmResult = await zdm(server, rows, load, targetBatchMs);
	const bigBangResult = first ?? (await bigBang(server, rows, load));
	return {rows, bigBang: bigBangResult, zdm: zdmResult, throughputRatio: bigBangResult.ms / zdmResult.backfillMs};
}
