import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {runCli} from '../support/cli.js';

interface LintJson {
	file: string;
	findings: Array<{rule: string; severity: string; message: string; hint: string; line: number; column: number; operation: number | null}>;
}

const lintJson = (stdout: string) => JSON.parse(stdout) as LintJson;

// The error rules unsafe-raw-sql.yaml trips, each once or more, linted without a database.
// (type-change-rewrite is only a warning there: without a catalog the old type is unknown.)
const rawSqlErrors = [
	'add-column-generated',
	'add-column-volatile-default',
	'constraint-without-not-valid',
	'lock-timeout',
	'rename-or-drop-outside-contract',
	'require-concurrent-index',
	'set-not-null-without-check',
	'unique-without-using-index',
	'work-after-access-exclusive',
];

/** Runs lint with every database driver made unloadable. */
const noDriver = {NODE_OPTIONS: `--import=${new URL('no-driver-hook.mjs', import.meta.url).href}`};

describe('zdm-tui lint (the built CLI)', () => {
	const dir = mkdtempSync(join(tmpdir(), 'zdm-lint-'));
	afterAll(() => rmSync(dir, {recursive: true, force: true}));
	const planFile = (name: string, text: string) => {
		const path = join(dir, name);
		writeFileSync(path, text);
		return path;
	};

	it('every shipped sample but the unsafe ones lints with no error: exit 0', async () => {
		const samples = readdirSync('samples').filter(name => !name.startsWith('unsafe-') && /\.(ya?ml|json)$/.test(name));
		const results = await Promise.all(samples.map(async name => ({name, result: await runCli(['lint', `samples/${name}`, '--json'], noDriver)})));
		for (const {name, result} of results) {
			expect(result.code, `${name}: ${result.stdout}${result.stderr}`).toBe(0);
			expect(lintJson(result.stdout).findings.filter(finding => finding.severity === 'error'), name).toEqual([]);
		}
	});

	it('samples/pgroll, linted without a database, assumes what each file names (indexes, constraints, keys) and finds no error: exit 0', async () => {
		const result = await runCli(['lint', 'samples/pgroll', '--json'], noDriver);
		expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
		expect(result.lines).toHaveLength(readdirSync('samples/pgroll').length);
	});

	it('unsafe-contract-only: "contract without expand — data loss risk", exit 1', async () => {
		const result = await runCli(['lint', 'samples/unsafe-contract-only.yaml'], noDriver);
		expect(result.code).toBe(1);
		// file:line:column of the operation, as editors and CI logs link them.
		expect(result.stdout).toMatch(/^samples\/unsafe-contract-only\.yaml:6:5: error contract-without-expand: contract without expand — data loss risk — expand first/m);
	});

	it('--json: one object, {file, findings: [{rule, severity, message, hint, line, column, operation}]}, the same keys every time', async () => {
		const result = await runCli(['lint', 'samples/unsafe-raw-sql.yaml', '--json'], noDriver);
		expect(result.code).toBe(1);
		expect(result.lines).toHaveLength(1);
		const report = lintJson(result.stdout);
		expect(Object.keys(report)).toEqual(['file', 'findings']);
		expect(report.file).toBe('samples/unsafe-raw-sql.yaml');
		for (const finding of report.findings) {
			expect(Object.keys(finding)).toEqual(['rule', 'severity', 'message', 'hint', 'line', 'column', 'operation']);
			// The sql operation starts on line 6, column 5 of the sample.
			expect(finding).toMatchObject({severity: expect.stringMatching(/^(error|warning)$/), operation: 0, line: 6, column: 5, hint: expect.any(String)});
			expect(finding.message).not.toContain('\n');
		}

		const errors = new Set(report.findings.filter(finding => finding.severity === 'error').map(finding => finding.rule));
		expect([...errors].sort()).toEqual(rawSqlErrors);
		expect(report.findings.map(finding => finding.rule)).toEqual(expect.arrayContaining(['prefer-jsonb', 'unbatched-backfill']));
	});

	it('a finding with no operation has "operation": null', async () => {
		const many = ['a', 'b', 'c'].map(name => `  - add_column: {table: users, column: {name: nick_${name}, type: text, nullable: false, default: "''"}, up: initcap(username)}`);
		const result = await runCli(['lint', planFile('many.yaml', `id: MANY\noperations:\n${many.join('\n')}\n`), '--json']);
		expect(result.code, result.stderr).toBe(0);
		expect(lintJson(result.stdout).findings).toContainEqual(expect.objectContaining({rule: 'too-many-steps', severity: 'warning', operation: null, line: 1, column: 1}));
	});

	it('--allow acknowledges each error rule: warnings only, exit 0', async () => {
		const allowed = await runCli(['lint', 'samples/unsafe-raw-sql.yaml', '--json', ...rawSqlErrors.flatMap(rule => ['--allow', rule])]);
		expect(allowed.code).toBe(0);
		expect(lintJson(allowed.stdout).findings.every(finding => finding.severity === 'warning')).toBe(true);
		// One rule left unacknowledged still fails.
		const partly = await runCli(['lint', 'samples/unsafe-raw-sql.yaml', ...rawSqlErrors.slice(1).flatMap(rule => ['--allow', rule])]);
		expect(partly.code).toBe(1);
		expect(partly.stdout).toMatch(/^samples\/unsafe-raw-sql\.yaml:6:5: error add-column-generated:/m);
	});

	it('warnings alone exit 0; raw SQL that does not parse is an error with PostgreSQL\'s message', async () => {
		const warned = await runCli(['lint', planFile('json.yaml', 'id: J\noperations:\n  - add_column: {table: users, column: {name: meta, type: json, nullable: true}}\n')]);
		expect(warned.code).toBe(0);
		expect(warned.stdout).toMatch(/json\.yaml:3:5: warning prefer-jsonb: type "json" is json — use jsonb$/m);
		const broken = await runCli(['lint', planFile('broken.yaml', 'id: B\noperations:\n  - sql: {up: "ALTER TABLE users ADD COLUM x int", down: "SELECT 1"}\n')]);
		expect(broken.code).toBe(1);
		expect(broken.stdout).toMatch(/broken\.yaml:3:5: error sql-syntax: step 1 \(sql\): syntax error at or near "int" at character \d+ — fix the SQL/m);
	});
});
