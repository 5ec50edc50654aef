import pg from 'pg';
import {startReplica} from '../test/support/pg-replica.js';
import type {PgServer} from '../test/support/pg-server.js';
import {runContender, type Load} from './contenders.js';
import {context, type Figure} from './report.js';
import {sleep} from './stats.js';

// The replica stalls (replay paused, as a long query on it can hold replay) this long into the run…
const stallAtMs = 1500;
// …for this long.
const stallMs = 3000;

/**
 * The replica scenario: a streaming replica of the bench server on 127.0.0.1 and the whole
 * `zdm-tui run` under unpaused writers, without the throttle and with `--replica` (default
 * --max-lag 1000). Once on its own, the replica keeps up; so, as a replica does when a long
 * query on it holds replay, its replay stops for 3 s during the backfill. Measured from the
 * outside, every 50 ms: the replica's lag (its clock minus its last replayed commit's time,
 * true here because the writers commit all the time), how much WAL it has not replayed, and
 * how long it takes to catch up once replay resumes.
 */
export async function replicaScenario(server: PgServer, rows: number, load: Load, cli: string): Promise<Figure[]> {
	const replica = await startReplica(server.url);
	const figures: Figure[] = [];
	const section = `replica, ${rows / 1000}k rows, ${load.name} writers`;
	try {
		for (const throttled of [false, true]) {
			const name = throttled ? '--replica (--max-lag 1000)' : 'no throttle';
			let polling = false;
			let peakLagMs = 0;
			let peakBytes = 0;
			let resumedAt = 0;
			let caughtUpMs: number | undefined;
			let background: Promise<unknown> = Promise.resolve();
			const primary = new pg.Client({connectionString: server.url});
			const standby = new pg.Client({connectionString: replica.url});
			await Promise.all([primary.connect(), standby.connect()]);
			const poll = async () => {
				while (polling) {
					const [{rows: at}, {rows: lag}] = await Promise.all([
						primary.query<{lsn: string}>('SELECT pg_current_wal_insert_lsn()::text AS lsn'),
						standby.query<{ms: number | null; lsn: string}>('SELECT (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS ms, pg_last_wal_replay_lsn()::text AS lsn'),
					]);
					const {rows: behind} = await primary.query<{bytes: string}>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text AS bytes', [at[0]!.lsn, lag[0]!.lsn]);
					const bytes = Math.max(0, Number(behind[0]!.bytes));
					peakLagMs = Math.max(peakLagMs, lag[0]!.ms ?? 0);
					peakBytes = Math.max(peakBytes, bytes);
					if (resumedAt && caughtUpMs === undefined && (lag[0]!.ms ?? 0) < 200) caughtUpMs = performance.now() - resumedAt;
					await sleep(50);
				}
			};

			const run = await runContender(server, 'zdm run', load, {
				cli,
				around: {
					async before(url) {
						const database = new URL(url).pathname.slice(1);
						await replica.caughtUp(server.url);
						polling = true;
						background = Promise.all([
							poll(),
							(async () => {
								await sleep(stallAtMs);
								await replica.pauseReplay();
								await sleep(stallMs);
								await replica.resumeReplay();
								resumedAt = performance.now();
							})(),
						]);
						return throttled ? ['--replica', replica.urlFor(database)] : [];
					},
					async after() {
						// Keep measuring until the replica has caught up (or 20 s), then stop.
						const deadline = performance.now() + 20_000;
						while ((!resumedAt || caughtUpMs === undefined) && performance.now() < deadline) await sleep(50);
						polling = false;
						await background;
					},
				},
			});
			await Promise.all([primary.end(), standby.end()]);
			const throttle = (run.summary?.replicaLag as Array<{waitedMs: number; waits: number; peakLagMs: number}> | undefined)?.[0];
			const how = `${(stallMs / 1000).toFixed(0)} s replay stall from ${(stallAtMs / 1000).toFixed(1)} s; zdm run ${(run.ms / 1000).toFixed(2)} s; writers kept ${((run.tps / run.baselineTps) * 100).toFixed(0)} %${throttle ? `; zdm waited ${(throttle.waitedMs / 1000).toFixed(1)} s in ${throttle.waits} wait(s), saw ${(throttle.peakLagMs / 1000).toFixed(1)} s` : ''}`;
			figures.push(context(section, `${name}: peak replica lag`, peakLagMs, 'ms', how));
			figures.push(context(section, `${name}: peak WAL not replayed`, peakBytes / 2 ** 20, 'MB', 'what the replica must replay to catch up'));
			figures.push(context(section, `${name}: catch-up after the stall`, caughtUpMs, 'ms', 'replay resumed → lag under 200 ms'));
		}
	} finally {
		await replica.stop();
	}

	return figures;
}
