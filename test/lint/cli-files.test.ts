import {spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import pg from 'pg';
import {afterAll, describe, expect, it} from 'vitest';
import {runCli} from '../support/cli.js';
import {createServerDatabase, serverUrl} from '../support/databases.js';

interface LintJson {
	file: string;
	findings: Array<{rule: string; severity: string; message: string; hint: string; line: number; column: number}>;
}

const reports = (stdout: string) => stdout.split('\n').filter(Boolean).map(line => JSON.parse(line) as LintJson);
const noDriver = {NODE_OPTIONS: `--import=${new URL('no-driver-hook.mjs', import.meta.url).href}`};

describe('zdm-tui lint PATH…: .sql files, directories, formats (the built CLI)', () => {
	const dir = mkdtempSync(join(tmpdir(), 'zdm-lint-files-'));
	afterAll(() => rmSync(dir, {recursive: true, force: true}));
	const write = (name: string, text: string) => {
		const path = join(dir, name);
		mkdirSync(join(path, '..'), {recursive: true});
		writeFileSync(path, text);
		return path;
	};

	it('a directory (by name, depth first) and files in one run: one verdict per file, exit 1 when any has an error', async () => {
		write('migrations/002_index.sql', 'SELECT 1;\n\n  CREATE INDEX orders_user_idx ON orders (user_id);\n');
		write('migrations/001_table.sql', 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint);\n');
		write('migrations/003/up.sql', 'CREATE INDEX CONCURRENTLY orders_id_idx ON orders (id);\n');
		write('migrations/README.txt', 'not a migration');
		const plan = write('plan.yaml', 'id: P\noperations:\n  - add_column: {table: invoices, column: {name: note, type: text, nullable: true}}\n');
		const result = await runCli(['lint', join(dir, 'migrations'), plan, '--json'], noDriver);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(1);
		const byFile = reports(result.stdout);
		expect(byFile.map(report => report.file)).toEqual([
			join(dir, 'migrations/001_table.sql'),
			join(dir, 'migrations/002_index.sql'),
			join(dir, 'migrations/003/up.sql'),
			plan,
		]);
		// Line and column of the statement itself, past the blank line and the indentation.
		expect(byFile[1]!.findings).toEqual([expect.objectContaining({rule: 'require-concurrent-index', severity: 'error', line: 3, column: 3, hint: expect.stringContaining('CONCURRENTLY')})]);
		// "invoices" exists nowhere: without a database it is taken to exist, never "does not exist".
		expect(byFile[3]!.findings).toEqual([]);
		expect((await runCli(['lint', join(dir, 'migrations/001_table.sql'), plan], noDriver)).code).toBe(0);
	});

	it('a .sql file runs as psql runs it; --assume-in-transaction as a migration tool that wraps each file', async () => {
		const file = write('tx.sql', 'CREATE INDEX CONCURRENTLY a_idx ON users (a);\nBEGIN;\nDROP INDEX CONCURRENTLY b_idx;\nCOMMIT;\nBEGIN;\nALTER TABLE users ADD COLUMN c text;\n');
		const [psql] = reports((await runCli(['lint', file, '--json'])).stdout);
		expect(psql!.findings.map(f => [f.rule, f.line])).toEqual([
			['concurrently-in-transaction', 3],
			['transaction-control-in-sql', 5],
		]);
		expect(psql!.findings[1]!.hint).toMatch(/missing COMMIT/);
		const [wrapped] = reports((await runCli(['lint', file, '--json', '--assume-in-transaction'])).stdout);
		expect(wrapped!.findings.filter(f => f.rule === 'concurrently-in-transaction').map(f => f.line)).toEqual([1, 3]);
		expect(wrapped!.findings.find(f => f.rule === 'concurrently-in-transaction')!.hint).toMatch(/without a transaction/);
	});

	it('--format github: one workflow annotation per finding, escaped; info is a notice', async () => {
		const file = write('gh.sql', 'ALTER TABLE users ADD COLUMN seen timestamp;\nTRUNCATE users;\n');
		const result = await runCli(['lint', file, '--format', 'github']);
		expect(result.code).toBe(1);
		expect(result.lines).toEqual([
			expect.stringMatching(new RegExp(`^::notice file=${file.replaceAll('/', '\\/')},line=1,col=1,title=zdm-tui prefer-timestamptz::"ALTER TABLE users ADD COLUMN seen timestamp": .* — use timestamptz`)),
			expect.stringMatching(/^::error file=.*gh\.sql,line=2,col=1,title=zdm-tui truncate-table::"TRUNCATE users": empties "users" under ACCESS EXCLUSIVE — DELETE in batches/),
		]);
	});

	it('info alone never fails a run', async () => {
		const result = await runCli(['lint', write('style.sql', 'CREATE TABLE t (id serial PRIMARY KEY, code char(2));\n')]);
		expect(result.stdout).toMatch(/info prefer-bigint-key/);
		expect(result.stdout).toMatch(/info prefer-text/);
		expect(result.code).toBe(0);
	});

	it('bad input: one line naming the problem and the fix, exit 2', async () => {
		for (const args of [
			['lint', join(dir, 'missing.sql')],
			['lint', write('empty/notes.txt', 'x').replace('/notes.txt', '')],
			['lint', join(dir, 'tx.sql'), '--format', 'xml'],
			['lint', join(dir, 'tx.sql'), '--pg-version', 'x'],
		]) {
			const result = await runCli(args);
			expect(result.code, args.join(' ')).toBe(2);
			expect(result.stderr).toMatch(/^zdm-tui: [^\n]+ — [^\n]+\n$/);
		}
	});

	it('output into a closed pipe ends quietly: no EPIPE stack trace', async () => {
		// `true` exits at once, before the CLI writes: every write meets a closed pipe.
		const stderr = await new Promise<string>((resolve, reject) => {
			const child = spawn('sh', ['-c', `"${process.execPath}" dist/cli.js lint samples test/lint/corpus | true`], {stdio: ['ignore', 'ignore', 'pipe']});
			let text = '';
			child.stderr.on('data', chunk => (text += String(chunk)));
			child.on('error', reject);
			child.on('close', () => resolve(text));
		});
		expect(stderr).toBe('');
	});

	it.skipIf(!serverUrl())('--database-url: the catalog makes findings exact (types, function volatility, the server version)', async () => {
		const created = await createServerDatabase();
		const client = new pg.Client({connectionString: created.url});
		try {
			await client.connect();
			await client.query(`CREATE TABLE accounts (id bigint PRIMARY KEY, name varchar(100), code varchar(10));
				CREATE FUNCTION region_default() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'eu' $$`);
			const file = write('exact.sql', 'ALTER TABLE accounts ALTER COLUMN name TYPE text;\nALTER TABLE accounts ALTER COLUMN code TYPE varchar(5);\nALTER TABLE accounts ADD COLUMN region text DEFAULT region_default();\n');
			const rules = async (...extra: string[]) => reports((await runCli(['lint', file, '--json', ...extra])).stdout)[0]!.findings.map(f => `${f.line} ${f.severity} ${f.rule}`);
			// Without a database: old types unknown, region_default() could be volatile.
			expect(await rules()).toEqual(['1 warning type-change-rewrite', '2 warning type-change-rewrite', '3 error add-column-volatile-default']);
			expect(await rules('--database-url', created.url)).toEqual(['2 error type-change-rewrite', '2 error narrowing-type-change']);
			// Before PostgreSQL 11 even a constant default rewrote the table.
			expect(await rules('--database-url', created.url, '--pg-version', '10')).toContain('3 error add-column-volatile-default');
		} finally {
			await client.end();
			await created.drop();
		}
	});
});
