import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {cli} from './startup.js';
import {median} from './stats.js';

export const corpus = 'test/lint/corpus';
const squawkBin = 'node_modules/.bin/squawk';

// squawk rules that fire on nearly every DDL statement (a file without SET lock_timeout, statement_timeout), dangerous or not: counting them would make
// squawk "catch" every file and flag every safe one, which says nothing about either tool.
const squawkEverywhere = new Set(['prefer-robust-stmts', 'require-timeout-settings', 'require-lock-timeout', 'require-statement-timeout']);

/** The corpus files by what their headers expect: dangerous (an error or warning) or safe (nothing). */
function judged(): {dangerous: Set<string>; safe: Set<string>} {
	const dangerous = new Set<string>();
	const safe = new Set<string>();
	for (const name of readdirSync(corpus, {recursive: true, encoding: 'utf8'}).filter(file => file.endsWith('.sql'))) {
		const header = readFileSync(join(corpus, name), 'utf8').split('\n').filter(line => line.startsWith('-- expect: '));
		if (header.includes('-- expect: nothing')) safe.add(join(corpus, name));
		else if (header.some(line => /^-- expect: (error|warning) /.test(line))) dangerous.add(join(corpus, name));
	}

	return {dangerous, safe};
}

/** Best and median wall time of a command over several runs, and its last stdout. */
function timed(command: string, args: string[], runs: number): {best: number; median: number; stdout: string} {
	const times: number[] = [];
	let stdout = '';
	for (let i = 0; i < runs; i++) {
		const started = performance.now();
		const result = spawnSync(command, args, {stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20});
		times.push(performance.now() - started);
		if (result.error) throw result.error;
		stdout = String(result.stdout);
	}

	return {best: Math.min(...times), median: median(times), stdout};
}

export interface LintBench {
	files: number;
	zdm: {best: number; median: number; dangerousCaught: number; safeFlagged: number};
	squawk?: {version: string; best: number; median: number; dangerousCaught: number; safeFlagged: number};
	dangerous: number;
	safe: number;
}

/** `zdm-tui lint` over the whole corpus in one process, beside squawk over the same files when it is installed. */
export function lintCorpus(runs = 7): LintBench {
	const {dangerous, safe} = judged();
	const sqlFiles = readdirSync(corpus, {recursive: true, encoding: 'utf8'}).filter(file => file.endsWith('.sql')).map(file => join(corpus, file));
	const files = sqlFiles.length;
	const zdm = timed(process.execPath, [cli, 'lint', corpus, '--json'], runs);
	const zdmFlagged = new Set(
		zdm.stdout
			.split('\n')
			.filter(Boolean)
			.map(line => JSON.parse(line) as {file: string; findings: Array<{severity: string}>})
			.filter(report => report.findings.some(finding => finding.severity !== 'info'))
			.map(report => report.file),
	);
	const count = (flagged: Set<string>, of: Set<string>) => [...of].filter(file => flagged.has(file)).length;
	const result: LintBench = {files, dangerous: dangerous.size, safe: safe.size, zdm: {best: zdm.best, median: zdm.median, dangerousCaught: count(zdmFlagged, dangerous), safeFlagged: count(zdmFlagged, safe)}};
	if (!existsSync(squawkBin)) return result;
	const squawk = timed(squawkBin, ['--reporter', 'json', ...sqlFiles], runs);
	const violations = JSON.parse(squawk.stdout || '[]') as Array<{file: string; rule_name: string}>;
	const squawkFlagged = new Set(violations.filter(violation => !squawkEverywhere.has(violation.rule_name)).map(violation => violation.file));
	const version = String(spawnSync(squawkBin, ['--version']).stdout).trim();
	result.squawk = {version, best: squawk.best, median: squawk.median, dangerousCaught: count(squawkFlagged, dangerous), safeFlagged: count(squawkFlagged, safe)};
	return result;
}
