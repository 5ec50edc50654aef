import {describe, expect, it} from 'vitest';
import type {Catalog, TableInfo} from '../../source/core/catalog.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {trafficShapes} from '../../source/traffic/shape.js';

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

const catalogOf = (...tables: TableInfo[]): Catalog => ({
	schema: 'public',
	table: name => tables.find(t => t.name === name),
	tables: () => tables.map(t => t.name),
	serverVersion: 150_000,
	schemaExists: () => false,
});

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
	it('follows several operations on one table: v2 knows only the final names and types', () => {
		const [shape] = trafficShapes(plan, catalogOf(users()));
		expect(shape!.v1.key).toBe('id');
		expect(shape!.v2.key).toBe('id');
		expect(shape!.keyHasDefault).toBe(true);
		expect(shape!.v1.columns.map(c => c.name)).toEqual(['username', 'email', 'age']);
		expect(shape!.v2.columns.map(c => [c.name, c.type])).toEqual([
			['username', 'text'],
			['contact_email', 'text'],
			['age', 'bigint'],
		]);
		expect(shape!.v2.columns[0]!.notNull).toBe(false);
		expect(JSON.stringify(shape)).not.toContain('_zdm');
	});

	it('leaves out of v1 what the migration added, and zdm\'s own columns, when it is resumed after expand', () => {
		const expanded = catalogOf(
			users([
				{name: 'display_name', type: 'text', notNull: false, default: null},
				{name: '_zdm_age_12345678', type: 'bigint', notNull: false, default: null},
			]),
		);
		const [shape] = trafficShapes(plan, expanded);
		expect(shape!.v1.columns.map(c => c.name)).toEqual(['username', 'email', 'age']);
		expect(shape!.v2.columns.map(c => c.name)).toEqual(['username', 'contact_email', 'age']);
	});

	it('follows a renamed key, and an identity key counts as one inserts may leave out', () => {
		const identity: TableInfo = {...users(), columns: users().columns.map(c => (c.name === 'id' ? {...c, default: null, identity: true} : c))};
		const [shape] = trafficShapes(validatePlan({id: 'K', operations: [{rename_column: {table: 'users', from: 'id', to: 'user_id'}}]}), catalogOf(identity));
		expect([shape!.v1.key, shape!.v2.key, shape!.keyHasDefault]).toEqual(['id', 'user_id', true]);
	});

	it('skips tables it cannot address by a single key, and plans without a table', () => {
		const noKey: TableInfo = {...users(), primaryKey: []};
		const file = validatePlan({id: 'MIG-10', operations: [{sql: {up: 'SELECT 1', down: 'SELECT 1'}}]});
		expect(trafficShapes(file, catalogOf(users()))).toEqual([]);
		const rename = validatePlan({id: 'MIG-11', operations: [{rename_column: {table: 'users', from: 'email', to: 'mail'}}]});
		expect(trafficShapes(rename, catalogOf(noKey))).toEqual([]);
	});
});
