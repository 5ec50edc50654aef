import type {Database} from '../source/db/database.js';
import {openPglite} from '../source/db/pglite.js';
import {seedUsers} from '../source/db/seed.js';
import {sleep, timed} from './stats.js';
import {startWriters, type WriteStatement, type WriterResult} from './writers.js';
import {runSample, type BatchStats} from './zdm-run.js';
import type {WriterSettings} from './writers.js';

export interface PgliteComparison {
	rows: number;
	bigBang: {ms: number; writes: WriterResult};
	zdm: {backfillMs: number; totalMs: number; writes: WriterResult; batch: BatchStats};
	throughputRatio: number;
}

async function seeded(rows: number): Promise<Database> {
	const db = await openPglite();
	await seedUsers(db, {rows});
	await db.query('VACUUM (ANALYZE) users');
	return db;
}

// PGlite is one backend: "concurrent" writers take turns with the backfill's transactions, so a
// write's latency is how long it queued behind whatever statement held the database.
const writerFor = (db: Database) => (writer: number): WriteStatement => async (kind, id) =>
	kind === 'update'
		? db.query('UPDATE users SET email = $2 WHERE id = $1', [id, `w${writer}-${id}@example.com`])
		: db.query('INSERT INTO users (username, email) VALUES ($1, $2)', [`writer${writer}-${id}`, `writer${writer}@example.com`]);

export async function compareOnPglite(rows: number, load: WriterSettings, targetBatchMs?: number): Promise<PgliteComparison> {
	let zdm: PgliteComparison['zdm'];
	{
		const db = await seeded(rows);
		const traffic = startWriters(writerFor(db), {writers: load.writers, maxId: rows, pauseMs: load.pauseMs});
		let writes: WriterResult | undefined;
		const run = await runSample(db, {targetBatchMs}, {
			beforeBackfill: () => void traffic.take(),
			async afterBackfill() {
				await sleep(100);
				writes = traffic.take();
			},
		});
		await traffic.stop();
		await db.close();
		zdm = {backfillMs: run.backfillMs, totalMs: run.totalMs, writes: writes!, batch: run.batch};
	}

	const db = await seeded(rows);
	await db.query('ALTER TABLE users ADD COLUMN display_name text');
	const traffic = startWriters(writerFor(db), {writers: load.writers, maxId: rows, pauseMs: load.pauseMs});
	await sleep(300);
	traffic.take();
	const {ms} = await timed(async () => db.query('UPDATE users SET display_name = initcap(username)'));
	await sleep(100);
	const writes = traffic.take();
	await traffic.stop();
	await db.close();
	return {rows, bigBang: {ms, writes}, zdm, throughputRatio: ms / zdm.backfillMs};
}
