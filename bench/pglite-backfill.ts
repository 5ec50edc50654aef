import type {Database} from '../source/db/database.js';
import {openPglite} from '../source/db/pglite.js';
import {seedUsers} from '../source/db/seed.js';
import {sleep, timed} from './stats.js';
import {startWriters, type WriteStatement, type WriterResult} from './writers.js';
import {expandedSample, runSample, type BatchStats} from './zdm-run.js';
import {batchSettings, tid} from '../source/core/backfill-sql.js';
import type {WriterSettings} from './writers.js';

export interface PgliteComparison {
	rows: number;
	bigBang: {ms: number; writes: WriterResult};
	zdm: {backfillMs: number; totalMs: number; writes: WriterResult; batch: BatchStats};
	/** One UPDATE of every row in zdm's state before its backfill: the sync trigger in place, skipped as the backfill skips it. */
	underTrigger: {ms: number};
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

/**
 * One batch of every page in zdm's state just before its backfill, with the backfill's own
 * settings and the sync trigger in place. WHY? A table with a BEFORE UPDATE row trigger has each
 * row fetched and locked for it before the UPDATE writes it, even when the trigger is skipped:
 * the big-bang UPDATE, with no trigger, pays neither, and neither do zdm's batches on PGlite,
 * which set the trigger aside inside each batch. This shows what that saves.
 */
async function oneUpdateUnderTrigger(rows: number): Promise<number> {
	const db = await seeded(rows);
	try {
		const spec = (await expandedSample(db)).next!.backfill!;
		const {ms} = await timed(async () =>
			db.transaction(async tx => {
				await tx.query(batchSettings, ['500ms', true]);
				// zdm's own batch statement over every page at once.
				const table = (await tx.query<{pages: number; files: string}>(spec.pages, [spec.relation])).rows[0]!;
				await tx.query(spec.pageBatch, [tid(0), tid(table.pages), spec.relation, table.files]);
			}),
		);
		return ms;
	} finally {
		await db.close();
	}
}

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
	return {rows, bigBang: {ms, writes}, zdm, underTrigger: {ms: await oneUpdateUnderTrigger(rows)}, throughputRatio: ms / zdm.backfillMs};
}
