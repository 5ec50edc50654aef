import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {runCli} from '../support/cli.js';

interface LintJson {
	file: string;
	findings: Array<{rule: string; severity: string; message: string; hint: string; operation: number | null}>;
}

const lintJson = (stdout: string) => JSON.parse(stdout) as LintJson;

// The error rules unsafe-raw-sql.yaml trips, each once or more.
const rawSqlErrors = [
	'add-column-generated',
	'add-column-volatile-default',
	'constraint-without-not-valid',
	'lock-timeout',
	'rename-or-drop-outside-contract',
	'require-concurrent-index',
	'set-not-null-without-check',
	'type-change-rewrite',
	'unique-without-using-index',
	'work-after-access-exclusive',
];

describe('zdm-tui lint (the built CLI)', () => {
	const dir = mkdtempSync(join(tmpdir(), 'zdm-lint-'));
	afterAll(() => rmSync(dir, {recursive: true, force: true}));
	const planFile = (name: string, text: string) => {
		const path = join(dir, name);
		writeFileSync(path, text);
		return path;
	};

	it('every shipped sample but the unsafe ones lints with no error: exit 0', async () => {
		const samples = readdirSync('samples').filter(name => !name.startsWith('unsafe-'));
		const results = await Promise.all(samples.map(async name => ({name, result: await runCli(['lint', `samples/${name}`, '--json', '--rows', '10'])})));
		for (const {name, result} of results) {
			expect(result.code, `${name}: ${result.stdout}${result.stderr}`).toBe(0);
			expect(lintJson(result.stdout).findings.filter(finding => finding.severity === 'error'), name).toEqual([]);
		}
	});

	it('unsafe-contract-only: "contract without expand — data loss risk", exit 1', async () => {
		const result = await runCli(['lint', 'samples/unsafe-contract-only.yaml', '--rows', '10']);
		expect(result.code).toBe(1);
		expect(result.stdout).toMatch(/^error +contract-without-expand \(operations\[0\]\): contract without expand — data loss risk — expand first/m);
	});

	it('--json: one object, {file, findings: [{rule, severity, message, hint, operation}]}, the same keys every time', async () => {
		const result = await runCli(['lint', 'samples/unsafe-raw-sql.yaml', '--json', '--rows', '10']);
		expect(result.code).toBe(1);
		expect(result.lines).toHaveLength(1);
		const report = lintJson(result.stdout);
		expect(Object.keys(report)).toEqual(['file', 'findings']);
		expect(report.file).toBe('samples/unsafe-raw-sql.yaml');
		for (const finding of report.findings) {
			expect(Object.keys(finding)).toEqual(['rule', 'severity', 'message', 'hint', 'operation']);
			expect(finding).toMatchObject({severity: expect.stringMatching(/^(error|warning)$/), operation: 0, hint: expect.any(String)});
			expect(finding.message).not.toContain('\n');
		}

		const errors = new Set(report.findings.filter(finding => finding.severity === 'error').map(finding => finding.rule));
		expect([...errors].sort()).toEqual(rawSqlErrors);
		expect(report.findings.map(finding => finding.rule)).toEqual(expect.arrayContaining(['prefer-jsonb', 'unbatched-backfill']));
	});

	it('a finding with no operation has "operation": null', async () => {
		const many = ['a', 'b', 'c'].map(name => `  - add_column: {table: users, column: {name: nick_${name}, type: text, nullable: false, default: "''"}, up: initcap(username)}`);
		const result = await runCli(['lint', planFile('many.yaml', `id: MANY\noperations:\n${many.join('\n')}\n`), '--json', '--rows', '10']);
		expect(result.code, result.stderr).toBe(0);
		expect(lintJson(result.stdout).findings).toContainEqual(expect.objectContaining({rule: 'too-many-steps', severity: 'warning', operation: null}));
	});

	it('--allow acknowledges each error rule: warnings only, exit 0', async () => {
		const allowed = await runCli(['lint', 'samples/unsafe-raw-sql.yaml', '--json', '--rows', '10', ...rawSqlErrors.flatMap(rule => ['--allow', rule])]);
		expect(allowed.code).toBe(0);
		expect(lintJson(allowed.stdout).findings.every(finding => finding.severity === 'warning')).toBe(true);
		// One rule left unacknowledged still fails.
		const partly = await runCli(['lint', 'samples/unsafe-raw-sql.yaml', '--rows', '10', ...rawSqlErrors.slice(1).flatMap(rule => ['--allow', rule])]);
		expect(partly.code).toBe(1);
		expect(partly.stdout).toMatch(/^error +add-column-generated/m);
	});

	it('warnings alone exit 0; raw SQL that does not parse is an error with PostgreSQL\'s message', async () => {
		const warned = await runCli(['lint', planFile('json.yaml', 'id: J\noperations:\n  - add_column: {table: users, column: {name: meta, type: json, nullable: true}}\n'), '--rows', '10']);
		expect(warned.code).toBe(0);
		expect(warned.stdout).toMatch(/^warning prefer-jsonb \(operations\[0\]\): type "json" is json — use jsonb$/m);
		const broken = await runCli(['lint', planFile('broken.yaml', 'id: B\noperations:\n  - sql: {up: "ALTER TABLE users ADD COLUM x int", down: "SELECT 1"}\n'), '--rows', '10']);
		expect(broken.code).toBe(1);
		expect(broken.stdout).toMatch(/^error +sql-syntax \(operations\[0\]\): step 1 \(sql\): syntax error at or near "int" at character \d+ — fix the SQL/m);
	});
});
