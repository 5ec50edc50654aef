import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {rules} from '../../source/core/lint/index.js';

describe('the README documents every lint rule', () => {
	it('has one "## Lint rules" row per rule, with its severity', () => {
		const readme = readFileSync('README.md', 'utf8');
		const section = readme.slice(readme.indexOf('## Lint rules'));
		const rows = new Map([...section.matchAll(/^\| `([a-z-]+)` \| ([a-z]+)/gm)].map(match => [match[1]!, match[2]!]));
		expect([...rows.keys()].sort()).toEqual(rules.map(rule => rule.id).sort());
		for (const rule of rules) expect(rows.get(rule.id), rule.id).toBe(rule.severity);
	});

	it('every rule has an id, a severity, a one-line description and a safe alternative', () => {
		expect(rules.length).toBeGreaterThanOrEqual(15);
		expect(new Set(rules.map(rule => rule.id)).size).toBe(rules.length);
		for (const rule of rules) {
			expect(rule.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
			expect(['error', 'warning', 'info']).toContain(rule.severity);
			for (const line of [rule.description, rule.alternative]) expect(line).toMatch(/^[^\n]{5,200}$/);
		}
	});
});
