import pg from 'pg';
import {ZdmError} from '../core/errors.js';
import {parseLsn, type ReplicaPort} from '../core/replica-lag.js';
import {describeUrl} from './postgres.js';

/**
 * A streaming replica the backfill keeps within --max-lag: one connection of its own, opened at
 * the first query and opened again after a failure. WHY timeouts? A replica that hangs must show
 * as unreadable (the backfill waits and says so), never stall the backfill without a word.
 */
export function openReplica(url: string): ReplicaPort {
	const pool = new pg.Pool({connectionString: url, max: 1, application_name: 'zdm-tui', connectionTimeoutMillis: 5000, query_timeout: 5000, allowExitOnIdle: true});
	pool.on('error', () => {});
	return {
		label: describeUrl(url),
		async replayedLsn() {
			const {rows} = await pool.query<{lsn: string | null}>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
			if (!rows[0]?.lsn) throw new Error('not a streaming replica (pg_last_wal_replay_lsn() is null)');
			return parseLsn(rows[0].lsn);
		},
		async close() {
			await pool.end();
		},
	};
}

/**
 * Before anything changes: every --replica answers and is in recovery. A typo found at the
 * backfill would leave the migration waiting half-way; found here, nothing has started.
 */
export async function checkReplica(url: string): Promise<void> {
	const label = describeUrl(url);
	const client = new pg.Client({connectionString: url, application_name: 'zdm-tui', connectionTimeoutMillis: 5000});
	try {
		await client.connect();
		const {rows} = await client.query<{replica: boolean}>('SELECT pg_is_in_recovery() AS replica');
		if (!rows[0]?.replica) throw new ZdmError('bad-input', `--replica ${label} is not a replica (pg_is_in_recovery() is false)`, 'give the URL of a streaming replica of this database, or drop --replica');
	} catch (error) {
		if (error instanceof ZdmError) throw error;
		const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
		throw new ZdmError('bad-input', `cannot connect to --replica ${label} (${reason})`, 'check the replica URL, or drop --replica');
	} finally {
		await client.end().catch(() => {});
	}
}
