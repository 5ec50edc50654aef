import {execFileSync} from 'node:child_process';
import {chmodSync, existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import pg from 'pg';
import {findPgBin, freePort, launchPostgres, runAs} from './pg-server.js';

/**
 * A streaming replica of a throwaway server on 127.0.0.1: pg_basebackup -R into a data directory
 * of its own, started on a second port as the postgres OS user. Replay can be paused and resumed,
 * as an overloaded or stuck replica would fall behind.
 */
export interface PgReplica {
	/** postgres://…/postgres on the replica; urlFor names another database. */
	url: string;
	urlFor(database: string): string;
	pauseReplay(): Promise<void>;
	resumeReplay(): Promise<void>;
	/** Resolves when the replica has replayed all the primary had written when called. */
	caughtUp(primaryUrl: string): Promise<void>;
	stop(): Promise<void>;
}

/** Whether this machine can make one: the server binaries include pg_basebackup. */
export const canReplicate = () => {
	const bin = findPgBin();
	return Boolean(bin && existsSync(join(bin, 'pg_basebackup')));
};

async function adminQuery(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
	const client = new pg.Client({connectionString: url});
	await client.connect();
	try {
		return (await client.query(sql)).rows as Array<Record<string, unknown>>;
	} finally {
		await client.end();
	}
}

export async function startReplica(primaryUrl: string): Promise<PgReplica> {
	const bin = findPgBin();
	if (!bin || !existsSync(join(bin, 'pg_basebackup'))) throw new Error('no pg_basebackup found; install the postgresql package');
	const dir = mkdtempSync(join(tmpdir(), 'zdm-replica-'));
	chmodSync(dir, 0o777);
	const data = join(dir, 'data');
	// -R writes primary_conninfo and standby.signal: the copy starts as a streaming replica.
	execFileSync(join(bin, 'pg_basebackup'), ['-d', primaryUrl, '-D', data, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync'], {stdio: 'pipe', ...runAs(), cwd: dir});
	const port = await freePort();
	const server = await launchPostgres(bin, data, dir, port, {fsync: 'off', hot_standby: 'on'});
	const replay = async (action: 'pause' | 'resume') => {
		await adminQuery(server.url, `SELECT pg_wal_replay_${action}()`);
		// pg_wal_replay_pause() only requests it: replay stops at its next record.
		const want = action === 'pause' ? 'paused' : 'not paused';
		for (let tries = 0; tries < 200; tries++) {
			const [row] = await adminQuery(server.url, 'SELECT pg_get_wal_replay_pause_state() AS state');
			if (row?.state === want) return;
			// Replay reaches its next record only when there is one: give it one.
			if (action === 'pause') await adminQuery(primaryUrl, 'SELECT txid_current()');
			await new Promise(resolve => setTimeout(resolve, 50));
		}

		throw new Error(`replay did not reach "${want}"`);
	};

	return {
		url: server.url,
		urlFor: database => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
		pauseReplay: async () => replay('pause'),
		resumeReplay: async () => replay('resume'),
		async caughtUp(primary: string) {
			// Not the flushed position: with synchronous_commit off, the last commits may not be flushed yet.
			const [row] = await adminQuery(primary, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
			for (;;) {
				const [replayed] = await adminQuery(server.url, `SELECT pg_last_wal_replay_lsn() >= '${String(row!.lsn)}'::pg_lsn AS done`);
				if (replayed?.done) return;
				await new Promise(resolve => setTimeout(resolve, 50));
			}
		},
		async stop() {
			await server.stop();
			rmSync(dir, {recursive: true, force: true});
		},
	};
}
