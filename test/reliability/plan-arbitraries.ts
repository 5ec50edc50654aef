import fc from 'fast-check';
import {operationKinds} from '../../source/core/plan-file.js';

/**
 * Plan files that are wrong by construction, for fuzzing: every case must be refused as bad
 * input. Each starts from a valid plan (the samples' shapes) and breaks it one way.
 */

export type FuzzCase = {kind: 'document'; what: string; document: unknown} | {kind: 'text'; what: string; text: string; source: string};

type Json = null | boolean | number | string | Json[] | {[key: string]: Json};

const bases: Array<{[key: string]: Json}> = [
	{id: 'MIG-001', title: 'add', operations: [{add_column: {table: 'users', column: {name: 'display_name', type: 'text', nullable: false, default: "''"}, up: 'initcap(username)'}}]},
	{id: 'MIG-002', operations: [{rename_column: {table: 'users', from: 'email', to: 'contact_email'}}]},
	{id: 'MIG-003', operations: [{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', up: 'lower(email)', down: 'email'}}]},
	{id: 'MIG-004', operations: [{create_index: {table: 'users', name: 'users_email_idx', columns: ['email']}}]},
	{id: 'MIG-005', operations: [{drop_column: {table: 'users', column: 'email', down: "username || '@example.com'"}}]},
	{id: 'MIG-006', operations: [{sql: {up: 'CREATE TABLE t (id int)', down: 'DROP TABLE t'}}]},
];

/** Paths whose absence makes a plan invalid. Not the id: a plan file without one is named after the file, as pgroll's are. */
const required: Record<string, string[][]> = {
	'MIG-001': [['operations'], ['operations', '0', 'add_column', 'table'], ['operations', '0', 'add_column', 'column'], ['operations', '0', 'add_column', 'column', 'name'], ['operations', '0', 'add_column', 'column', 'type']],
	'MIG-002': [['operations'], ['operations', '0', 'rename_column', 'table'], ['operations', '0', 'rename_column', 'from'], ['operations', '0', 'rename_column', 'to']],
	'MIG-003': [['operations', '0', 'alter_column', 'table'], ['operations', '0', 'alter_column', 'column']],
	'MIG-004': [['operations', '0', 'create_index', 'table'], ['operations', '0', 'create_index', 'name'], ['operations', '0', 'create_index', 'columns']],
	'MIG-005': [['operations', '0', 'drop_column', 'table'], ['operations', '0', 'drop_column', 'column']],
	'MIG-006': [['operations'], ['operations', '0', 'sql', 'up']],
};

/** Fields naming something that must already exist (a random name will not). */
const existing: Record<string, string[][]> = {
	'MIG-001': [['operations', '0', 'add_column', 'table']],
	'MIG-002': [['operations', '0', 'rename_column', 'table'], ['operations', '0', 'rename_column', 'from']],
	'MIG-003': [['operations', '0', 'alter_column', 'table'], ['operations', '0', 'alter_column', 'column']],
	'MIG-004': [['operations', '0', 'create_index', 'table'], ['operations', '0', 'create_index', 'columns', '0']],
	'MIG-005': [['operations', '0', 'drop_column', 'table'], ['operations', '0', 'drop_column', 'column']],
};

/** Fields holding one SQL expression (or type) that the server must accept. */
const expressions: Record<string, string[][]> = {
	'MIG-001': [['operations', '0', 'add_column', 'up'], ['operations', '0', 'add_column', 'column', 'default'], ['operations', '0', 'add_column', 'column', 'type']],
	'MIG-003': [['operations', '0', 'alter_column', 'up'], ['operations', '0', 'alter_column', 'down'], ['operations', '0', 'alter_column', 'type']],
	'MIG-005': [['operations', '0', 'drop_column', 'down']],
};

const clone = <T>(value: T): T => structuredClone(value);

function leaves(value: Json, path: string[] = []): string[][] {
	if (value !== null && typeof value === 'object') {
		const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
		return [path, ...entries.flatMap(([key, item]) => leaves(item, [...path, key]))].filter(p => p.length > 0);
	}

	return [path];
}

function at(root: Json, path: string[]): Json {
	let node = root;
	for (const key of path) node = (node as Record<string, Json>)[key]!;
	return node;
}

function setAt(root: Json, path: string[], value: Json | undefined): Json {
	const copy = clone(root);
	const parent = at(copy, path.slice(0, -1)) as Record<string, Json>;
	const key = path.at(-1)!;
	if (value === undefined) delete parent[key];
	else parent[key] = value;
	return copy;
}

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

const base = fc.constantFrom(...bases);

/** A value of another JSON type than the field holds (never null: some fields take null). */
const wrongType = base.chain(doc =>
	fc.constantFrom(...leaves(doc)).chain(path =>
		fc
			.oneof(fc.integer(), fc.double({noNaN: true, noDefaultInfinity: true}), fc.boolean(), fc.string(), fc.array(fc.jsonValue(), {maxLength: 3}), fc.dictionary(fc.string({maxLength: 5}), fc.jsonValue(), {maxKeys: 3}), fc.constant(1e308), fc.constant(-0))
			.filter(value => kindOf(value) !== kindOf(at(doc, path)))
			.map((value): FuzzCase => ({kind: 'document', what: `wrong type at ${path.join('.')}`, document: setAt(doc, path, value as Json)})),
	),
);

const missingField = base.chain(doc =>
	fc.constantFrom(...required[doc.id as string]!).map((path): FuzzCase => ({kind: 'document', what: `missing ${path.join('.')}`, document: setAt(doc, path, undefined)})),
);

const notAnOperation = fc.string({minLength: 1, maxLength: 30}).filter(name => !(operationKinds as string[]).includes(name));

const unknownOperation = fc.oneof(
	fc.tuple(base, notAnOperation).map(([doc, name]): FuzzCase => {
		const [body] = Object.values((doc.operations as Json[])[0] as Record<string, Json>);
		return {kind: 'document', what: `unknown operation ${name}`, document: {...doc, operations: [{[name]: body!}]}};
	}),
	fc.tuple(base, notAnOperation, fc.jsonValue()).map(([doc, key, value]): FuzzCase => {
		const operation = (doc.operations as Json[])[0] as Record<string, Json>;
		const [kind] = Object.keys(operation);
		const withField = kind === key ? {...operation, [`${key}_`]: value as Json} : {...operation, [key]: value as Json};
		return {kind: 'document', what: `a second key ${key} beside the operation`, document: {...doc, operations: [withField]}};
	}),
	fc.tuple(base, notAnOperation, fc.jsonValue()).map(([doc, key, value]): FuzzCase => {
		const [[kind, body]] = Object.entries((doc.operations as Json[])[0] as Record<string, Json>) as Array<[string, Record<string, Json>]>;
		return {kind: 'document', what: `unknown field ${key} in ${kind}`, document: {...doc, operations: [{[kind!]: {...body, [`x${key}`]: value as Json}}]}};
	}),
	fc.tuple(base, fc.string({minLength: 1, maxLength: 20}).filter(key => !['id', 'name', 'title', 'operations'].includes(key)), fc.jsonValue()).map(([doc, key, value]): FuzzCase => ({
		kind: 'document',
		what: `unknown top-level field ${key}`,
		document: {...doc, [key]: value as Json},
	})),
);

/** Longer than PostgreSQL allows (63 bytes), or than the plan format allows. */
const longName = fc.oneof(
	fc.string({minLength: 64, maxLength: 400}),
	fc.string({unit: 'grapheme', minLength: 33, maxLength: 200}).filter(name => Buffer.byteLength(name) > 63),
	fc.integer({min: 64, max: 200_000}).map(n => 'x'.repeat(n)),
);

const hugeValues = fc.oneof(
	base
		.filter(doc => existing[doc.id as string] !== undefined)
		.chain(doc =>
		fc.tuple(fc.constantFrom(...existing[doc.id as string]!), longName).map(([path, name]): FuzzCase => ({kind: 'document', what: `a ${name.length}-character name at ${path.join('.')}`, document: setAt(doc, path, name)})),
	),
	fc.tuple(base, fc.integer({min: 101, max: 5000})).map(([doc, count]): FuzzCase => ({kind: 'document', what: `${count} operations`, document: {...doc, operations: Array.from({length: count}, () => (doc.operations as Json[])[0]!)}})),
	fc.integer({min: 33, max: 10_000}).map((count): FuzzCase => ({kind: 'document', what: `${count} index columns`, document: {id: 'X', operations: [{create_index: {table: 'users', name: 'i', columns: Array.from({length: count}, () => 'email')}}]}})),
	fc.tuple(base, fc.integer({min: 201, max: 100_000})).map(([doc, length]): FuzzCase => ({kind: 'document', what: `a ${length}-character title`, document: {...doc, title: 't'.repeat(length)}})),
	fc.tuple(base, fc.integer({min: 101, max: 100_000})).map(([doc, length]): FuzzCase => ({kind: 'document', what: `a ${length}-character id`, document: {...doc, id: 'M'.repeat(length)}})),
	fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 64).map((value): FuzzCase => ({kind: 'document', what: `the number ${value} as a table`, document: {id: 'X', operations: [{drop_column: {table: value, column: 'email'}}]}})),
	fc.integer({min: 1_000_001, max: 1_500_000}).map((length): FuzzCase => ({kind: 'document', what: `a ${length}-character up`, document: {id: 'X', operations: [{sql: {up: ' '.repeat(length)}}]}})),
);

/** Random bytes, as JSON or YAML: never a plan. */
const binaryGarbage = fc
	.tuple(fc.uint8Array({minLength: 0, maxLength: 600}), fc.constantFrom('fuzz.json', 'fuzz.yaml', 'fuzz.yml'), fc.constantFrom<BufferEncoding>('utf8', 'latin1'))
	.map(([bytes, source, encoding]): FuzzCase => ({kind: 'text', what: `${bytes.length} random bytes as ${source}`, text: Buffer.from(bytes).toString(encoding), source}));

/** Nesting far deeper than any plan, in the text or in place of a field. */
const deepNesting = fc.oneof(
	fc.tuple(fc.integer({min: 50, max: 20_000}), fc.constantFrom('[', '{"a":'), fc.constantFrom('fuzz.json', 'fuzz.yaml')).map(([depth, open, source]): FuzzCase => {
		const close = open === '[' ? ']' : '}';
		return {kind: 'text', what: `${depth} levels of ${open}`, text: `{"id": "X", "operations": [{"add_column": {"table": "users", "column": ${open.repeat(depth)}1${close.repeat(depth)}}}]}`, source};
	}),
	fc.tuple(fc.integer({min: 50, max: 20_000}), fc.constantFrom('fuzz.json', 'fuzz.yaml')).map(([depth, source]): FuzzCase => ({kind: 'text', what: `a document ${depth} lists deep`, text: `${'['.repeat(depth)}${']'.repeat(depth)}`, source})),
	fc.tuple(base, fc.integer({min: 20, max: 2000})).chain(([doc, depth]) =>
		fc.constantFrom(...leaves(doc)).map((path): FuzzCase => {
			let nested: Json = 'users';
			for (let i = 0; i < depth; i++) nested = i % 2 ? [nested] : {n: nested};
			return {kind: 'document', what: `${depth} levels at ${path.join('.')}`, document: setAt(doc, path, nested)};
		}),
	),
);

/** Names of things that do not exist, and expressions that are not one expression. */
const injection = fc.constantFrom(
	'1); DROP TABLE users; --',
	"'x'; DROP TABLE users",
	"'x', DROP username",
	'email) FROM users; DELETE FROM users; SELECT (1',
	'1 /*',
	'(WITH d AS (DELETE FROM users RETURNING 1) SELECT 1)',
	'$zdm$; DROP TABLE users; $zdm$',
	'text, DROP COLUMN email',
	'text; DROP TABLE users',
	"true) NOT VALID, DROP COLUMN email, ADD CHECK (true",
);

const semantic = fc.oneof(
	base
		.filter(doc => existing[doc.id as string] !== undefined)
		.chain(doc =>
			fc.tuple(fc.constantFrom(...existing[doc.id as string]!), fc.string({minLength: 1, maxLength: 40}).filter(name => !['users', 'id', 'username', 'email'].includes(name)))
				.map(([path, name]): FuzzCase => ({kind: 'document', what: `missing thing "${name}" at ${path.join('.')}`, document: setAt(doc, path, name)})),
		),
	base
		.filter(doc => expressions[doc.id as string] !== undefined)
		.chain(doc =>
			fc.tuple(fc.constantFrom(...expressions[doc.id as string]!), injection, fc.string({maxLength: 12}))
				.map(([path, sql, prefix]): FuzzCase => ({kind: 'document', what: `${JSON.stringify(prefix + sql)} at ${path.join('.')}`, document: setAt(doc, path, prefix + sql)})),
		),
	fc.constantFrom<FuzzCase>(
		{kind: 'document', what: 'adding a column that exists', document: {id: 'X', operations: [{add_column: {table: 'users', column: {name: 'email', type: 'text', nullable: true}}}]}},
		{kind: 'document', what: 'NOT NULL without default or up', document: {id: 'X', operations: [{add_column: {table: 'users', column: {name: 'z', type: 'text'}}}]}},
		{kind: 'document', what: 'altering the primary key to nullable', document: {id: 'X', operations: [{alter_column: {table: 'users', column: 'id', nullable: true}}]}},
		{kind: 'document', what: 'nothing to alter', document: {id: 'X', operations: [{alter_column: {table: 'users', column: 'email'}}]}},
		{kind: 'document', what: 'a reference to a missing table', document: {id: 'X', operations: [{add_column: {table: 'users', column: {name: 'z', type: 'bigint', nullable: true, references: {name: 'z_fk', table: 'nope', column: 'id'}}}}]}},
	),
);

/** Every way of being wrong, weighted so each category gets hundreds of cases in 1,000. */
export const brokenPlan: fc.Arbitrary<FuzzCase> = fc.oneof(wrongType, missingField, unknownOperation, hugeValues, binaryGarbage, deepNesting, semantic);

export const categories = {wrongType, missingField, unknownOperation, hugeValues, binaryGarbage, deepNesting, semantic};
