import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {rules} from '../../source/core/lint/index.js';
import {runCli} from '../support/cli.js';

const corpus = 'test/lint/corpus';

/** Every .sql file of the corpus, with the findings its header expects: "LINE SEVERITY RULE". */
function expectations(): Map<string, string[]> {
	const files = readdirSync(corpus, {recursive: true, encoding: 'utf8'}).filter(name => name.endsWith('.sql'));
	return new Map(
		files.map(name => {
			const header = readFileSync(join(corpus, name), 'utf8').split('\n').filter(line => line.startsWith('-- expect: '));
			const expected = header.flatMap(line => {
				if (line === '-- expect: nothing') return [];
				const match = /^-- expect: (error|warning|info) ([a-z-]+) at line (\d+)$/.exec(line);
				if (!match) throw new Error(`${name}: cannot read "${line}"`);
				return [`${match[3]} ${match[1]} ${match[2]}`];
			});
			return [join(corpus, name), expected.sort()];
		}),
	);
}

// Rules about a plan's operations (and, for the last two, the database's catalog): a .sql file never trips them.
const planOnly = new Set(['no-steps', 'contract-without-expand', 'too-many-steps', 'sql-without-down', 'narrowing-alter-column', 'backfill-fires-triggers']);

describe('the lint corpus: hand-judged .sql migrations, each with its expected findings', () => {
	const expected = expectations();

	it('linted in one run of the CLI, every file gets exactly the findings its header names', async () => {
		const result = await runCli(['lint', corpus, '--json']);
		expect(result.stderr).toBe('');
		const reports = result.lines.map(line => JSON.parse(line) as {file: string; findings: Array<{rule: string; severity: string; line: number; column: number}>});
		expect(reports.map(report => report.file).sort()).toEqual([...expected.keys()].sort());
		for (const report of reports) {
			for (const finding of report.findings) expect(finding.column, report.file).toBeGreaterThanOrEqual(1);
			expect(report.findings.map(finding => `${finding.line} ${finding.severity} ${finding.rule}`).sort(), report.file).toEqual(expected.get(report.file));
		}

		const anyError = [...expected.values()].some(found => found.some(line => line.includes(' error ')));
		expect(result.code).toBe(anyError ? 1 : 0);
	});

	it('covers every SQL rule with a dangerous form, and has safe forms that must stay silent', () => {
		const tripped = new Set([...expected.values()].flat().map(line => line.split(' ')[2]));
		expect(rules.map(rule => rule.id).filter(id => !planOnly.has(id) && !tripped.has(id))).toEqual([]);
		expect([...expected.values()].filter(found => found.length === 0).length).toBeGreaterThanOrEqual(20);
		expect(expected.size).toBeGreaterThanOrEqual(60);
	});
});
