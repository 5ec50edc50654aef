import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

/**
 * A throwaway PostgreSQL server on 127.0.0.1 for tests and benchmarks: initdb in a temp dir,
 * started as the postgres OS user when we are root (the server refuses to run as root).
 */
export interface PgServer {
	url: string;
	port: number;
	dir: string;
	/** A URL for another database on the same server. */
	urlFor(database: string): string;
	stop(): Promise<void>;
}

export function findPgBin(): string | undefined {
	const candidates = [process.env.PG_BIN, ...(existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse().map(v => `/usr/lib/postgresql/${v}/bin`) : [])];
	return candidates.find(dir => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
		});
	});
}

/** As root, run the server binaries as the postgres OS user (uid/gid of the child, no wrapper in between for signals to get lost in). */
export function runAs(): {uid?: number; gid?: number} {
	if (process.getuid?.() !== 0) return {};
	const uid = Number(execFileSync('id', ['-u', 'postgres'], {encoding: 'utf8'}).trim());
	const gid = Number(execFileSync('id', ['-g', 'postgres'], {encoding: 'utf8'}).trim());
	return {uid, gid};
}

export async function startPgServer(options: {settings?: Record<string, string>} = {}): Promise<PgServer> {
	const bin = findPgBin();
	if (!bin) throw new Error('no PostgreSQL server binaries (initdb, postgres) found; install the postgresql package');
	const dir = mkdtempSync(join(tmpdir(), 'zdm-pg-'));
	chmodSync(dir, 0o777);
	const data = join(dir, 'data');
	const user = runAs();
	execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {stdio: 'ignore', ...user, cwd: dir});
	const port = await freePort();
	const {url, stop} = await launchPostgres(bin, data, dir, port, {fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '100', ...options.settings});
	return {
		url,
		port,
		dir,
		urlFor: database => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
		async stop() {
			await stop();
			rmSync(dir, {recursive: true, force: true});
		},
	};
}

/** Start the server on a data directory and wait until it takes connections on 127.0.0.1:port. */
export async function launchPostgres(bin: string, data: string, dir: string, port: number, settings: Record<string, string>): Promise<{url: string; stop(): Promise<void>}> {
	const user = runAs();
	const all = {listen_addresses: '127.0.0.1', port: String(port), unix_socket_directories: dir, ...settings};
	const args = ['-D', data, ...Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
	const child: ChildProcess = spawn(join(bin, 'postgres'), args, {stdio: ['ignore', 'ignore', 'pipe'], ...user, cwd: dir});
	let log = '';
	child.stderr?.on('data', chunk => {
		log = (log + String(chunk)).slice(-4000);
	});
	const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
	const {default: pg} = await import('pg');
	const deadline = Date.now() + 30_000;
	for (;;) {
		try {
			const client = new pg.Client({connectionString: url});
			await client.connect();
			await client.end();
			break;
		} catch (error) {
			if (child.exitCode !== null || Date.now() > deadline) throw new Error(`PostgreSQL did not start: ${log || String(error)}`);
			await new Promise(resolve => setTimeout(resolve, 100));
		}
	}

	return {
		url,
		async stop() {
			if (child.exitCode === null) {
				const exited = new Promise(resolve => child.once('exit', resolve));
				child.kill('SIGINT');
				await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 5000))]);
				if (child.exitCode === null) child.kill('SIGKILL');
			}
		},
	};
}
