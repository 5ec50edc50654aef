import pg from 'pg';
import type {Database, Queryable, QueryResult, Row, Session, SessionOptions} from './database.js';
import {zdmState} from './state.js';

// int8 and numeric stay strings (exact); the core converts what it counts.
function wrap(target: pg.Pool | pg.PoolClient): Queryable {
	return {
		async query<R extends Row = Row>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
			// queryMode 'extended' even without parameters: one statement per call, enforced by the server.
			const result = await target.query<R>({text: sql, values: params, queryMode: 'extended'} as pg.QueryConfig);
			return {rows: result.rows, rowCount: result.rowCount ?? result.rows.length};
		},
		async script(sql: string) {
			await target.query(sql);
		},
	};
}

/** "host:port/database" from a URL, never the password. */
export function describeUrl(url: string): string {
	try {
		const parsed = new URL(url);
		const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || parsed.username || 'postgres';
		return `${parsed.hostname || 'localhost'}${parsed.port ? `:${parsed.port}` : ''}/${database}`;
	} catch {
		return 'server';
	}
}

export async function openPostgres(url: string, options: {max?: number} = {}): Promise<Database> {
	// Room for the holder's session, the backfill's session, a concurrent index build, the blocker
	// lookup while it waits, and the simulated application's workers, without any waiting on another.
	const pool = new pg.Pool({connectionString: url, max: options.max ?? 8, application_name: 'zdm-tui'});
	// An idle client losing its server must not crash the process; the next query reports it.
	pool.on('error', () => {});
	// Fail now, with the driver's message, rather than at the first step.
	const probe = await pool.connect();
	probe.release();
	const root = wrap(pool);
	return {
		kind: 'server',
		label: describeUrl(url),
		concurrent: true,
		state: zdmState,
		...root,
		async transaction(work) {
			const client = await pool.connect();
			// A backend terminated mid-transaction makes the client emit 'error' while it is ours;
			// unheard, that would crash the process instead of failing this transaction.
			const onError = () => {};
			client.on('error', onError);
			let broken: Error | undefined;
			try {
				await client.query('BEGIN');
				const result = await work(wrap(client));
				await client.query('COMMIT');
				return result;
			} catch (error) {
				await client.query('ROLLBACK').catch((rollbackError: unknown) => {
					broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
				});
				throw error;
			} finally {
				client.removeListener('error', onError);
				// A connection that cannot even roll back is dead: destroy it rather than pool it.
				client.release(broken);
			}
		},
		async session(options: SessionOptions = {}): Promise<Session> {
			const client = await pool.connect();
			client.on('error', () => {});
			// As an application does with `options: '-c search_path=…'`: for the whole session.
			if (options.schema !== undefined) {
				try {
					await client.query("SELECT set_config('search_path', $1, false)", [pg.escapeIdentifier(options.schema)]);
				} catch (error) {
					client.release(true);
					throw error;
				}
			}
			let released = false;
			return {
				...wrap(client),
				async release() {
					if (released) return;
					released = true;
					// A session may carry settings or locks: destroy it rather than hand it back.
					client.release(true);
				},
			};
		},
		async close() {
			await pool.end();
		},
	};
}
