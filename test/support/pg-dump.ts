import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {findPgBin} from './pg-server.js';

const pgDumpPath = () => {
	const bin = findPgBin();
	const path = bin && join(bin, 'pg_dump');
	return path && existsSync(path) ? path : undefined;
};

export const hasPgDump = () => pgDumpPath() !== undefined;

/**
 * `pg_dump --schema-only` of whole schemas (default: public), as text to compare: everything a
 * schema holds — tables, identities, sequences, indexes, constraints, triggers, functions, views,
 * comments, grants, statistics — without the header lines that name versions or a random key.
 */
export async function pgDumpSchema(url: string, schemas = ['public']): Promise<string> {
	const args = ['--schema-only', '--no-owner', ...schemas.flatMap(schema => ['-n', schema]), '-d', url];
	const {stdout} = await promisify(execFile)(pgDumpPath()!, args, {maxBuffer: 64 * 1024 * 1024});
	return stdout.replace(/^-- Dumped (from|by) .*$/gm, '').replace(/^\\(un)?restrict .*$/gm, '');
}

/** `pg_dump --schema-only` of the whole database but zdm's own state: version schemas, leftover functions and all. */
export async function pgDumpDatabase(url: string): Promise<string> {
	const {stdout} = await promisify(execFile)(pgDumpPath()!, ['--schema-only', '--no-owner', '-N', 'zdm', '-d', url], {maxBuffer: 64 * 1024 * 1024});
	return stdout.replace(/^-- Dumped (from|by) .*$/gm, '').replace(/^\\(un)?restrict .*$/gm, '');
}

/** `pg_dump --schema-only` of the given tables only (with their indexes, constraints, sequences, statistics, grants). */
export async function pgDumpTables(url: string, tables: string[]): Promise<string> {
	const args = ['--schema-only', '--no-owner', ...tables.flatMap(table => ['-t', table]), '-d', url];
	const {stdout} = await promisify(execFile)(pgDumpPath()!, args, {maxBuffer: 64 * 1024 * 1024});
	return stdout.replace(/^-- Dumped (from|by) .*$/gm, '').replace(/^\\(un)?restrict .*$/gm, '');
}
