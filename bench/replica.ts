import pg from 'pg';
import {startReplica} from '../test/support/pg-replica.js';
import type {PgServer} from '../test/support/pg-server.js';
import {runContender, type Load} from './contenders.js';
import {atMost, context, type Figure} from './report.js';
import {sleep} from './stats.js';

/**
 * The replica scenario: a streaming replica of the bench server on 127.0.0.1, and the whole
 * `zdm-tui run` under unpaused writers, without the throttle and with it. The lag is PostgreSQL's
 * own figure (pg_stat_replication.replay_lag on the primary, polled every 50 ms), not zdm's.
 */
export async function replicaScenario(server: PgServer, rows: number, load: Load, cli: string): Promise<Figure[]> {
	const replica = await startReplica(server.url);
	const figures: Figure[] = [];
	const section = `replica, ${rows / 1000}k rows, ${load.name} writers`;
	try {
		const variants: Array<{name: string; flags: (url: string) => string[]; limit?: number}> = [
			{name: 'no throttle', flags: () => []},
			{name: '--max-lag 1000 (default)', flags: url => ['--replica', url], limit: 1000},
			{name: '--max-lag 200', flags: url => ['--replica', url, '--max-lag', '200'], limit: 200},
		];
		let baseMs: number | undefined;
		for (const variant of variants) {
			let polling = false;
			let peakLagMs = 0;
			let peakBytes = 0;
			let poller: Promise<void> = Promise.resolve();
			const primary = new pg.Client({connectionString: server.url});
			await primary.connect();
			const run = await runContender(server, 'zdm run', load, {
				cli,
				around: {
					async before(url) {
						const database = new URL(url).pathname.slice(1);
						await replica.caughtUp(server.url);
						polling = true;
						poller = (async () => {
							while (polling) {
								const {rows: lag} = await primary.query<{ms: number | null; bytes: string | null}>(
									"SELECT (extract(epoch FROM replay_lag) * 1000)::float8 AS ms, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS bytes FROM pg_stat_replication WHERE application_name = 'walreceiver'",
								);
								peakLagMs = Math.max(peakLagMs, lag[0]?.ms ?? 0);
								peakBytes = Math.max(peakBytes, Number(lag[0]?.bytes ?? 0));
								await sleep(50);
							}
						})();
						return variant.flags(replica.urlFor(database));
					},
					async after() {
						polling = false;
						await poller;
					},
				},
			});
			await primary.end();
			baseMs ??= run.ms;
			const throttle = (run.summary?.replicaLag as Array<{waitedMs: number; waits: number; peakLagMs: number}> | undefined)?.[0];
			const how = `zdm run ${(run.ms / 1000).toFixed(2)} s (${(run.ms / baseMs).toFixed(2)}× of no throttle); peak ${(peakBytes / 2 ** 20).toFixed(1)} MB behind; writers kept ${((run.tps / run.baselineTps) * 100).toFixed(0)} %${throttle ? `; waited ${(throttle.waitedMs / 1000).toFixed(1)} s in ${throttle.waits} waits (zdm saw ${throttle.peakLagMs} ms)` : ''}`;
			figures.push(variant.limit === undefined ? context(section, `peak replay lag, ${variant.name}`, peakLagMs, 'ms', how) : atMost(section, `peak replay lag, ${variant.name}`, peakLagMs, variant.limit + 500, 'ms', `${how}; target: the limit + one poll and batch`));
		}
	} finally {
		await replica.stop();
	}

	return figures;
}
