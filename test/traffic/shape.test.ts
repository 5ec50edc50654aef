import {describe, expect, it} from 'vitest';
import type {Catalog, TableInfo} from '../../source/core/catalog.js';
import {compilePlan} from '../../source/core/compile.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {trafficShapes, v2Renames} from '../../source/traffic/shape.js';

const users = (extra: TableInfo['columns'] = []): TableInfo => ({
	schema: 'public',
	name: 'users',
	primaryKey: ['id'],
	columns: [
		{name: 'id', type: 'bigint', notNull: true, default: "nextval('users_id_seq'::regclass)"},
		{name: 'username', type: 'text', notNull: true, default: null},
		{name: 'email', type: 'text', notNull: false, default: null},
		{name: 'age', type: 'integer', notNull: false, default: null},
		...extra,
	],
});

const catalogOf = (...tables: TableInfo[]): Catalog => ({schema: 'public', table: name => tables.find(t => t.name === name)});

const plan = validatePlan({
	id: 'MIG-9',
	operations: [
		{rename_column: {table: 'users', from: 'email', to: 'contact_email'}},
		{add_column: {table: 'users', column: {name: 'display_name', type: 'text', nullable: true}, up: 'initcap(username)'}},
		{alter_column: {table: 'users', column: 'age', type: 'bigint'}},
		{alter_column: {table: 'users', column: 'username', nullable: true}},
		{drop_column: {table: 'users', column: 'display_name'}},
	],
});

describe('what v1 and v2 read and write, from the plan', () => {
	it('follows several operations on one table: rename, add, type change through a shadow, in-place change, drop', () => {
		const catalog = catalogOf(users());
		const compiled = compilePlan(plan, catalog).plan;
		const [shape] = trafficShapes(plan, compiled, catalog);
		const shadow = compiled.steps.find(step => step.operation === 2 && step.backfill)!.backfill!.column;
		expect(shadow).toMatch(/^_zdm_age_/);
		expect(shape!.key).toBe('id');
		expect(shape!.keyHasDefault).toBe(true);
		expect(shape!.v1.map(c => c.name)).toEqual(['username', 'email', 'age']);
		expect(shape!.v2.map(c => [c.name, c.finalName, c.type])).toEqual([
			['username', 'username', 'text'],
			['contact_email', 'contact_email', 'text'],
			[shadow, 'age', 'bigint'],
		]);
		expect(shape!.v2[0]!.notNull).toBe(false);
		expect(v2Renames([shape!])).toBe(true);
	});

	it('leaves out of v1 what the migration added, when it is resumed after expand', () => {
		const fresh = catalogOf(users());
		const compiled = compilePlan(plan, fresh).plan;
		const shadow = compiled.steps.find(step => step.operation === 2 && step.backfill)!.backfill!.column;
		const expanded = catalogOf(
			users([
				{name: 'contact_email', type: 'text', notNull: false, default: null},
				{name: 'display_name', type: 'text', notNull: false, default: null},
				{name: shadow, type: 'bigint', notNull: false, default: null},
			]),
		);
		const [shape] = trafficShapes(plan, compiled, expanded);
		expect(shape!.v1.map(c => c.name)).toEqual(['username', 'email', 'age']);
		expect(shape!.v2.map(c => c.name)).toEqual(['username', 'contact_email', shadow]);
	});

	it('skips tables it cannot address by a single key, and plans without a table', () => {
		const noKey: TableInfo = {...users(), primaryKey: []};
		const file = validatePlan({id: 'MIG-10', operations: [{sql: {up: 'SELECT 1', down: 'SELECT 1'}}]});
		expect(trafficShapes(file, {steps: []}, catalogOf(users()))).toEqual([]);
		const rename = validatePlan({id: 'MIG-11', operations: [{rename_column: {table: 'users', from: 'email', to: 'mail'}}]});
		expect(trafficShapes(rename, {steps: []}, catalogOf(noKey))).toEqual([]);
	});
});
