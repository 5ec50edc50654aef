import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {ZdmError} from '../core/errors.js';
import type {Database} from './database.js';
import {openPglite} from './pglite.js';
import {openPostgres} from './postgres.js';
import {defaultDemoRows, hasUsers, seedUsers} from './seed.js';

export interface DatabaseChoice {
	databaseUrl?: string;
	dataDir?: string;
	/** Generated demo rows when the embedded database has no users table yet. */
	rows?: number;
}

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** PGlite is one process's database: a second process opening the same directory would corrupt it. */
function lockDataDir(dir: string): () => void {
	mkdirSync(dir, {recursive: true});
	const lockFile = join(dir, 'zdm-tui.pid');
	try {
		const holder = Number(readFileSync(lockFile, 'utf8'));
		if (holder && holder !== process.pid && processAlive(holder)) {
			throw new ZdmError('lock-held', `the data directory ${dir} is in use by another zdm-tui (pid ${holder})`, 'wait for it to exit, or use another --data-dir');
		}
	} catch (error) {
		if (error instanceof ZdmError) throw error;
	}

	writeFileSync(lockFile, String(process.pid));
	return () => rmSync(lockFile, {force: true});
}

export async function openDatabase(choice: DatabaseChoice): Promise<Database> {
	const url = choice.databaseUrl;
	if (url) {
		if (!/^postgres(ql)?:\/\//.test(url)) throw new ZdmError('bad-input', 'the database URL must start with postgres:// or postgresql://', 'e.g. --database-url postgres://user@127.0.0.1:5432/app');
		try {
			return await openPostgres(url);
		} catch (error) {
			const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
			throw new ZdmError('bad-input', `cannot connect to ${url.replace(/\/\/[^@/]*@/, '//…@')}: ${reason}`, 'check the URL and that the server is running');
		}
	}

	const unlock = choice.dataDir ? lockDataDir(choice.dataDir) : () => {};
	let db: Database;
	try {
		db = await openPglite({dataDir: choice.dataDir});
	} catch (error) {
		unlock();
		throw error;
	}

	// The embedded default comes with the lab's demo table, so there is something to migrate.
	if (!(await hasUsers(db))) await seedUsers(db, {rows: choice.rows ?? defaultDemoRows});
	const close = db.close.bind(db);
	return {
		...db,
		async close() {
			await close();
			unlock();
		},
	};
}
