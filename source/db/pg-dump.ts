import {execFile} from 'node:child_process';
import {existsSync, readdirSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {promisify} from 'node:util';
import {ZdmError} from '../core/errors.js';

/*
 * pg_dump reads a server's schema as PostgreSQL itself would restore it: we never write DDL of our
 * own. It only reads (a REPEATABLE READ, READ ONLY transaction of its own), and it must be at
 * least as new as the server, or it refuses.
 */

const run = promisify(execFile);

export interface PgDump {
	path: string;
	/** Its major version, e.g. 15. */
	major: number;
	/** As it prints it, e.g. "15.18". */
	version: string;
}

/** Where pg_dump usually lives: PATH first, then the directories of the common packages. */
export function pgDumpCandidates(): string[] {
	const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
	for (const root of ['/usr/lib/postgresql', '/usr/local/opt', '/opt/homebrew/opt', '/usr']) {
		if (!existsSync(root)) continue;
		for (const name of readdirSync(root)) {
			if (root === '/usr/lib/postgresql') dirs.push(join(root, name, 'bin'));
			else if (/^postgresql(@\d+)?$/.test(name) || /^pgsql-\d+$/.test(name)) dirs.push(join(root, name, 'bin'));
		}
	}

	return [...new Set(dirs.map(dir => join(dir, 'pg_dump')))].filter(path => existsSync(path));
}

async function versionOf(path: string): Promise<PgDump | undefined> {
	try {
		const {stdout} = await run(path, ['--version'], {timeout: 10_000});
		const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
		return match ? {path, major: Number(match[1]), version: match[2] === undefined ? match[1]! : `${match[1]}.${match[2]}`} : undefined;
	} catch {
		return undefined;
	}
}

/** The newest pg_dump that can read a server of this major version, or a one-line refusal. */
export async function findPgDump(serverMajor: number, candidates = pgDumpCandidates()): Promise<PgDump> {
	const found = (await Promise.all(candidates.map(async path => versionOf(path)))).filter(dump => dump !== undefined);
	const usable = found.filter(dump => dump.major >= serverMajor).sort((a, b) => b.major - a.major);
	if (usable[0]) return usable[0];
	const seen = found.length > 0 ? `; found only ${[...new Set(found.map(dump => `pg_dump ${dump.version}`))].join(', ')}` : '; none found in PATH or /usr/lib/postgresql/*/bin';
	throw new ZdmError('bad-input', `rehearse needs pg_dump ${serverMajor} or newer to read the schema of this PostgreSQL ${serverMajor} server${seen}`, `install the PostgreSQL ${serverMajor} client tools (e.g. postgresql-client-${serverMajor}) or put their bin directory on PATH`);
}

/** The URL without its password, and the password for PGPASSWORD: a command line is visible to every user of the machine. */
function connection(url: string): {url: string; password?: string} {
	try {
		const parsed = new URL(url);
		if (!parsed.password) return {url};
		const password = decodeURIComponent(parsed.password);
		parsed.password = '';
		return {url: parsed.toString(), password};
	} catch {
		return {url};
	}
}

export type DumpPart = 'pre-data' | 'post-data' | 'state-rows';

const partArgs: Record<DumpPart, string[]> = {
	'pre-data': ['--section=pre-data'],
	'post-data': ['--section=post-data'],
	// zdm's own rows as INSERTs (no COPY … FROM stdin to feed); the holder row is a lock of the server's, not state.
	'state-rows': ['--data-only', '--inserts', '--schema=zdm', '--exclude-table-data=zdm.holder'],
};

/**
 * One part of the database, as SQL text, read in the exported snapshot so that every part (and
 * our own catalog reads) sees the same instant.
 */
export async function dumpPart(dump: PgDump, url: string, part: DumpPart, snapshot: string): Promise<string> {
	const target = connection(url);
	try {
		const {stdout} = await run(dump.path, [...partArgs[part], `--snapshot=${snapshot}`, '--no-password', `--dbname=${target.url}`], {
			maxBuffer: 512 * 1024 * 1024,
			env: {...process.env, PGAPPNAME: 'zdm-tui rehearse', ...(target.password === undefined ? {} : {PGPASSWORD: target.password})},
		});
		return stdout;
	} catch (error) {
		const stderr = String((error as {stderr?: unknown}).stderr ?? '');
		const reason = stderr.split('\n').find(line => line.trim()) ?? (error instanceof Error ? error.message.split('\n')[0] : String(error));
		throw new ZdmError('bad-input', `pg_dump could not read the schema: ${reason.replace(/^pg_dump: (error: )?/, '')}`, 'check that the role can read every schema and table (e.g. GRANT pg_read_all_data)');
	}
}
