import {describe, expect, it} from 'vitest';
import type {Catalog, TableInfo} from '../../source/core/catalog.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {VersionBook} from '../../source/core/operations/version-book.js';
import {shapesOf, trafficShapes} from '../../source/traffic/shape.js';

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
		expect(shape!.v1!.key).toBe('id');
		expect(shape!.v2!.key).toBe('id');
		expect(shape!.keyHasDefault).toBe(true);
		expect(shape!.v1!.columns.map(c => c.name)).toEqual(['username', 'email', 'age']);
		expect(shape!.v2!.columns.map(c => [c.name, c.type])).toEqual([
			['username', 'text'],
			['contact_email', 'text'],
			['age', 'bigint'],
		]);
		expect(shape!.v2!.columns[0]!.notNull).toBe(false);
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
		expect(shape!.v1!.columns.map(c => c.name)).toEqual(['username', 'email', 'age']);
		expect(shape!.v2!.columns.map(c => c.name)).toEqual(['username', 'contact_email', 'age']);
	});

	it('follows a renamed key, and an identity key counts as one inserts may leave out', () => {
		const identity: TableInfo = {...users(), columns: users().columns.map(c => (c.name === 'id' ? {...c, default: null, identity: true} : c))};
		const [shape] = trafficShapes(validatePlan({id: 'K', operations: [{rename_column: {table: 'users', from: 'id', to: 'user_id'}}]}), catalogOf(identity));
		expect([shape!.v1!.key, shape!.v2!.key, shape!.keyHasDefault]).toEqual(['id', 'user_id', true]);
	});

	it('gives each version its own names on every table the plan touches', () => {
		const orders: TableInfo = {
			schema: 'public',
			name: 'orders',
			primaryKey: ['order_id'],
			columns: [
				{name: 'order_id', type: 'integer', notNull: true, default: "nextval('orders_order_id_seq'::regclass)"},
				{name: 'total', type: 'numeric', notNull: false, default: null},
			],
		};
		const file = validatePlan({
			id: 'MIG-12',
			operations: [
				{rename_column: {table: 'users', from: 'email', to: 'contact_email'}},
				{rename_column: {table: 'orders', from: 'total', to: 'total_cents'}},
			],
		});
		const shapes = trafficShapes(file, catalogOf(users(), orders));
		expect(shapes.map(shape => [shape.table, shape.key?.column, shape.v1?.table, shape.v2?.table])).toEqual([
			['users', 'id', 'users', 'users'],
			['orders', 'order_id', 'orders', 'orders'],
		]);
		expect(shapes[1]!.v1!.columns.map(c => c.name)).toEqual(['total']);
		expect(shapes[1]!.v2!.columns.map(c => c.name)).toEqual(['total_cents']);
		expect(shapes[1]!.key).toEqual({column: 'order_id', type: 'integer'});
	});

	it('keeps a table without a single-column key, with no key: it is only read', () => {
		const noKey: TableInfo = {...users(), primaryKey: []};
		const rename = validatePlan({id: 'MIG-11', operations: [{rename_column: {table: 'users', from: 'email', to: 'mail'}}]});
		const [shape] = trafficShapes(rename, catalogOf(noKey));
		expect(shape!.key).toBeUndefined();
		expect([shape!.v1!.key, shape!.v2!.key, shape!.keyHasDefault]).toEqual([undefined, undefined, false]);
		expect(shape!.v2!.columns.map(c => c.name)).toEqual(['id', 'username', 'mail', 'age']);
	});

	it('gives a created table to v2 only, a dropped one to v1 only, and a renamed one a name in each', () => {
		const book = new VersionBook(catalogOf(users(), {...users(), name: 'legacy'}, {...users(), name: 'people'}));
		book.createTable('audit', [{name: 'audit_id', type: 'bigint', notNull: true, hasDefault: true}, {name: 'what', type: 'text', notNull: false, hasDefault: false}], ['audit_id']);
		book.dropTable('legacy');
		book.renameTable('people', 'persons');
		const shapes = shapesOf(book.tables);
		expect(shapes.map(shape => [shape.table, shape.v1?.table, shape.v2?.table])).toEqual([
			['audit', undefined, 'audit'],
			['legacy', 'legacy', undefined],
			['people', 'people', 'persons'],
		]);
		expect(shapes[0]).toMatchObject({key: {column: 'audit_id', type: 'bigint'}, keyHasDefault: true});
		expect(shapes[0]!.v2!.columns.map(c => c.name)).toEqual(['what']);
		expect(shapes[1]!.v1!.key).toBe('id');
	});

	it('simulates nothing for a plan that touches no table', () => {
		const file = validatePlan({id: 'MIG-10', operations: [{sql: {up: 'SELECT 1', down: 'SELECT 1'}}]});
		expect(trafficShapes(file, catalogOf(users()))).toEqual([]);
	});
});
