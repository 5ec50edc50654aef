import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {operationKinds, operations} from '../../../source/core/operations/index.js';

describe('the operations registry', () => {
	it('lists each kind once, with a schema, its steps and how each version sees it', () => {
		expect(new Set(operationKinds).size).toBe(operations.length);
		for (const operation of operations) {
			expect(operation.kind).toMatch(/^[a-z]+(_[a-z]+)*$/);
			expect(typeof operation.schema.safeParse).toBe('function');
			expect(typeof operation.compile).toBe('function');
			expect(typeof operation.versions).toBe('function');
		}
	});

	it('covers every operation of pgroll\'s schema.json', () => {
		const pgroll = ['add_column', 'alter_column', 'rename_column', 'create_index', 'create_table', 'drop_column', 'drop_constraint', 'drop_multicolumn_constraint', 'rename_constraint', 'drop_index', 'drop_table', 'sql', 'rename_table', 'set_replica_identity', 'create_constraint'];
		expect([...operationKinds].sort()).toEqual(pgroll.sort());
	});

	it('has a row in the README\'s operation table for every operation', () => {
		const readme = readFileSync('README.md', 'utf8');
		const table = readme.slice(readme.indexOf('## Plan files'), readme.indexOf('## Lint rules'));
		const documented = new Set([...table.matchAll(/^\| (`[a-z_]+`(?:, `[a-z_]+`)*)/gm)].flatMap(match => [...match[1]!.matchAll(/`([a-z_]+)`/g)].map(name => name[1]!)));
		expect(operationKinds.filter(kind => !documented.has(kind))).toEqual([]);
	});
});
