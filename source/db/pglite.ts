import {PGlite, type Extensions, type Transaction} from '@electric-sql/pglite';
import type {Database, Queryable, QueryResult, Row, Session, SessionOptions} from './database.js';
import {ident} from '../core/sql.js';
import {zdmState} from './state.js';

function wrap(target: PGlite | Transaction): Queryable {
	return {
		async query<R extends Row = Row>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
			const result = await target.query<R>(sql, params);
			return {rows: result.rows, rowCount: result.affectedRows ?? result.rows.length};
		},
		async script(sql: string) {
			await target.exec(sql);
		},
	};
}

export interface PgliteOptions {
	/** Persist to this directory; in memory when absent. */
	dataDir?: string;
	/** A data directory tarball (from dumpDataDir) to start from instead of running initdb. */
	loadDataDir?: Blob | File;
	/** What to call it on screen, when the directory alone would mislead (a throwaway copy). */
	label?: string;
	/** Called after close, e.g. to delete a throwaway data directory. */
	onClose?: () => void;
	/** PGlite's contrib extensions to make available (rehearse: those the copied schema uses). */
	extensions?: Extensions;
}

/**
 * WHY no zero-filled WAL files? PGlite writes each new 16 MB WAL segment in full before use, in
 * this one thread: a backfill batch that crosses a segment stalled 100–300 ms (measured), and the
 * simulated application with it. Unfilled segments are safe; each record carries its own CRC.
 *
 * WHY smaller shared buffers? PostgreSQL's 128 MB default lives inside the WASM memory, in this
 * process, and is touched as pages are read; the demo table is a few MB, and the operating
 * system's file cache serves an on-disk data directory just as well. It saves ~100 MB of RSS.
 */
const settings = ['shared_buffers = 32MB', 'wal_init_zero = off'];

export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
	const pglite = await PGlite.create({dataDir: options.dataDir, loadDataDir: options.loadDataDir, postgresqlconf: settings, extensions: options.extensions});
	const root = wrap(pglite);
	return {
		kind: 'embedded',
		label: options.label ?? (options.dataDir ? `embedded (${options.dataDir})` : 'embedded (in memory)'),
		// PGlite is one backend in this process: statements interleave, they never overlap.
		concurrent: false,
		state: zdmState,
		...root,
		async transaction(work) {
			return pglite.transaction(async tx => work(wrap(tx)));
		},
		async session(options: SessionOptions = {}): Promise<Session> {
			if (options.schema === undefined) return {...root, async release() {}};
			const searchPath = ident(options.schema);
			// One backend serves every "session": each statement runs in a transaction of its own that
			// sets the search_path for itself alone, as that application's own connection would.
			const within = async <T>(work: (tx: Transaction) => Promise<T>) =>
				pglite.transaction(async tx => {
					await tx.query("SELECT set_config('search_path', $1, true)", [searchPath]);
					return work(tx);
				});
			return {
				async query<R extends Row = Row>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
					return within(async tx => wrap(tx).query<R>(sql, params));
				},
				async script(sql: string) {
					await within(async tx => wrap(tx).script(sql));
				},
				async release() {},
			};
		},
		async close() {
			await pglite.close();
			options.onClose?.();
		},
	};
}
