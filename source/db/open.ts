import {createHash} from 'node:crypto';
import {constants, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {homedir, tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {ZdmError} from '../core/errors.js';
import {ident} from '../core/sql.js';
import type {Database} from './database.js';
import type {PgliteOptions} from './pglite.js';
import {defaultDemoRows, hasUsers, seedUsers} from './seed.js';

export interface DatabaseChoice {
	databaseUrl?: string;
	dataDir?: string;
	/** Generated demo rows when the embedded database has no users table yet. */
	rows?: number;
	/** Where the embedded database's demo users table lives (default public); created when missing. */
	schema?: string;
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

const readyMarker = 'zdm-tui-template-ready';
const scratchPrefix = 'zdm-tui-pglite-';

function pgliteVersion(): string | undefined {
	try {
		const pgliteDir = dirname(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')));
		return (JSON.parse(readFileSync(join(pgliteDir, 'package.json'), 'utf8')) as {version: string}).version;
	} catch {
		return undefined;
	}
}

function cacheRoot(): string | undefined {
	const base = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : undefined);
	return base ? join(base, 'zdm-tui') : undefined;
}

/**
 * Two templates at most: the initialised database with no table (every other row count seeds a
 * copy of it), and the demo database at its default size. Valid for one PGlite build (data
 * directory format) and, for the demo, one seed definition.
 */
function templateKey(rows: number): string | undefined {
	const version = pgliteVersion();
	if (!version) return undefined;
	if (rows !== defaultDemoRows) return `pglite-${version}-initialised`;
	const seed = createHash('sha256').update(seedUsers.toString()).digest('hex').slice(0, 10);
	return `pglite-${version}-users-${rows}-${seed}`;
}

/**
 * WHY a cached template? Initialising PGlite (initdb in WASM) and seeding take seconds; copying a
 * ready data directory and opening it takes a fraction of that. Built once per machine, in a
 * directory of its own, renamed into place only when complete, so a crash never leaves half a one.
 */
async function template(rows: number): Promise<string | undefined> {
	const root = cacheRoot();
	const key = templateKey(rows);
	if (!root || !key) return undefined;
	const dir = join(root, key);
	if (existsSync(join(dir, readyMarker))) return dir;
	const building = `${dir}.building-${process.pid}`;
	try {
		mkdirSync(root, {recursive: true});
		rmSync(building, {recursive: true, force: true});
		const {openPglite} = await import('./pglite.js');
		const db = await openPglite({dataDir: building});
		try {
			if (rows === defaultDemoRows) await seedUsers(db, {rows});
			await db.query('CHECKPOINT');
		} finally {
			await db.close();
		}

		writeFileSync(join(building, readyMarker), new Date().toISOString());
		try {
			renameSync(building, dir);
		} catch {
			// Another zdm-tui finished the same template first: use theirs.
			rmSync(building, {recursive: true, force: true});
		}

		return existsSync(join(dir, readyMarker)) ? dir : undefined;
	} catch {
		rmSync(building, {recursive: true, force: true});
		return undefined;
	}
}

const scratchDirs = new Set<string>();
let exitHook = false;

/** Throwaway copies left by a zdm-tui that was killed: their pid is in the name. */
function sweepStaleScratch() {
	try {
		for (const name of readdirSync(tmpdir())) {
			const pid = Number(new RegExp(`^${scratchPrefix}(\\d+)-`).exec(name)?.[1]);
			if (pid && pid !== process.pid && !processAlive(pid)) rmSync(join(tmpdir(), name), {recursive: true, force: true});
		}
	} catch {}
}

/** A fresh copy of the template for this process only, deleted on close or at exit. */
function scratchCopy(template: string): string {
	sweepStaleScratch();
	const dir = mkdtempSync(join(tmpdir(), `${scratchPrefix}${process.pid}-`));
	// Copy-on-write where the file system can, a plain copy elsewhere.
	cpSync(template, dir, {recursive: true, mode: constants.COPYFILE_FICLONE});
	scratchDirs.add(dir);
	if (!exitHook) {
		exitHook = true;
		process.once('exit', () => {
			for (const scratch of scratchDirs) rmSync(scratch, {recursive: true, force: true});
		});
	}

	return dir;
}

async function openEmbedded(choice: DatabaseChoice): Promise<Database> {
	const {openPglite} = await import('./pglite.js');
	const rows = choice.rows ?? defaultDemoRows;
	if (choice.dataDir) {
		// A new directory starts as a copy of a template, when there is one.
		if (!existsSync(join(choice.dataDir, 'PG_VERSION'))) {
			const ready = await template(rows);
			if (ready) cpSync(ready, choice.dataDir, {recursive: true, mode: constants.COPYFILE_FICLONE});
		}

		return openPglite({dataDir: choice.dataDir});
	}

	const ready = await template(rows);
	if (!ready) return openPglite();
	const scratch = scratchCopy(ready);
	const forget = () => {
		scratchDirs.delete(scratch);
		rmSync(scratch, {recursive: true, force: true});
	};

	try {
		return await openPglite({dataDir: scratch, label: 'embedded (throwaway copy)', onClose: forget});
	} catch (error) {
		forget();
		throw error;
	}
}

/** The throwaway copy's demo table into `schema` (created), with its sequence, indexes and statistics. */
async function moveUsers(db: Database, schema: string) {
	await db.transaction(async tx => {
		const {rows} = await tx.query<{exists: boolean}>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists', [schema]);
		if (!rows[0]!.exists) await tx.query(`CREATE SCHEMA ${ident(schema)}`);
		await tx.query(`ALTER TABLE public.users SET SCHEMA ${ident(schema)}`);
	});
}

/** A throwaway embedded database with no table at all, for rehearse to load a copy of a schema into. */
export async function openBlankEmbedded(options: Pick<PgliteOptions, 'label' | 'extensions'>): Promise<Database> {
	const {openPglite} = await import('./pglite.js');
	const ready = await template(0);
	if (!ready) return openPglite(options);
	const scratch = scratchCopy(ready);
	const forget = () => {
		scratchDirs.delete(scratch);
		rmSync(scratch, {recursive: true, force: true});
	};

	try {
		return await openPglite({...options, dataDir: scratch, onClose: forget});
	} catch (error) {
		forget();
		throw error;
	}
}

export async function openDatabase(choice: DatabaseChoice): Promise<Database> {
	const url = choice.databaseUrl;
	if (url) {
		if (!/^postgres(ql)?:\/\//.test(url)) throw new ZdmError('bad-input', 'the database URL must start with postgres:// or postgresql://', 'e.g. --database-url postgres://user@127.0.0.1:5432/app');
		try {
			// Imported on demand: `--help` and the embedded default never pay for the driver.
			const {openPostgres} = await import('./postgres.js');
			return await openPostgres(url);
		} catch (error) {
			const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
			throw new ZdmError('bad-input', `cannot connect to ${url.replace(/\/\/[^@/]*@/, '//…@')}: ${reason}`, 'check the URL and that the server is running');
		}
	}

	const unlock = choice.dataDir ? lockDataDir(choice.dataDir) : () => {};
	let db: Database;
	try {
		db = await openEmbedded(choice);
	} catch (error) {
		unlock();
		throw error;
	}

	// The embedded default comes with the lab's demo table, so there is something to migrate.
	const schema = choice.schema ?? 'public';
	if (!(await hasUsers(db, schema))) {
		// WHY move rather than seed? A throwaway copy's demo table is nobody's: moving it is instant,
		// where seeding the default 400,000 rows again takes seconds.
		if (!choice.dataDir && schema !== 'public' && (await hasUsers(db))) await moveUsers(db, schema);
		else await seedUsers(db, {rows: choice.rows ?? defaultDemoRows, schema});
	}

	const close = db.close.bind(db);
	return {
		...db,
		async close() {
			await close();
			unlock();
		},
	};
}
