import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {Executor} from '../../../source/core/executor.js';
import {isConstant} from '../../../source/core/operations/add-column.js';
import {validatePlan} from '../../../source/core/plan-file.js';
import {readCatalog, tableDefinition} from '../../../source/db/catalog.js';
import type {Database} from '../../../source/db/database.js';
import {openPglite} from '../../../source/db/pglite.js';
import {backends, openBackend} from '../../support/databases.js';
import {columnsOf, describeOperation, refuses, rowsOf} from '../../support/operation-cases.js';

const addStatus = (id: string, column: Record<string, unknown>, up?: string) =>
	validatePlan({id, operations: [{add_column: {table: 'users', column: {type: 'text', nullable: false, ...column}, ...(up ? {up} : {})}}]});

describe('a constant default', () => {
	it.each(["'active'", '0', '-1.5', 'true', "'0'::numeric(10,2)", "'x'::character varying"])('%s is a constant', text => expect(isConstant(text)).toBe(true));
	it.each(['now()', "'a' || 'b'", 'gen_random_uuid()', 'username', "'x'::text || 'y'"])('%s is not', text => expect(isConstant(text)).toBe(false));
});

/** add_column with a literal default and no up: PostgreSQL's instant catalog default, no backfill. */
describe.each(backends())('add_column with a constant default (%s)', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 500));
	});
	afterAll(async () => close());

	const storage = async () => (await db.query<{file: string}>("SELECT relfilenode::text AS file FROM pg_class WHERE oid = 'users'::regclass")).rows[0]!.file;

	it('adds the column with its default in expand, never writes a row, and still makes it NOT NULL safely at contract', async () => {
		const {plan} = compilePlan(addStatus('CONST-1', {name: 'status', default: "'active'"}), await readCatalog(db));
		expect(plan.steps.filter(step => step.kind === 'backfill')).toEqual([]);
		expect(plan.steps[0]!.forward).toEqual(['ALTER TABLE "public"."users" ADD COLUMN "status" text DEFAULT (\'active\')']);
		expect(plan.steps.flatMap(step => step.forward).join('\n')).toMatch(/CHECK \("status" IS NOT NULL\) NOT VALID[\s\S]*VALIDATE CONSTRAINT[\s\S]*SET NOT NULL/);
		const file = await storage();
		const rowVersions = await db.query<{xmin: string}>("SELECT xmin::text AS xmin FROM users WHERE id = 1");
		const executor = await Executor.open(db, plan);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		// Same storage and the same row versions: nothing was rewritten or updated.
		expect(await storage()).toBe(file);
		expect((await db.query<{xmin: string}>('SELECT xmin::text AS xmin FROM users WHERE id = 1')).rows).toEqual(rowVersions.rows);
		const missing = await db.query<{has: boolean}>("SELECT atthasmissing AS has FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'status'");
		expect(missing.rows[0]!.has).toBe(true);
		expect(await tableDefinition(db, 'users')).toContain("column status text NOT NULL DEFAULT 'active'::text");
		const counts = await db.query<{status: string; n: number | string}>('SELECT status, count(*) AS n FROM users GROUP BY status');
		expect(counts.rows.map(row => [row.status, Number(row.n)])).toEqual([['active', 502]]);
	});

	it('a default that is not a literal, or one with up, keeps the batched backfill', async () => {
		const catalog = await readCatalog(db);
		for (const file of [addStatus('CONST-2', {name: 'tag', default: "'u' || 'x'"}), addStatus('CONST-3', {name: 'tag', default: "'x'"}, 'username')]) {
			const {plan} = compilePlan(file, catalog);
			expect(plan.steps.filter(step => step.kind === 'backfill')).toHaveLength(1);
			expect(plan.steps[0]!.forward[0]).toBe('ALTER TABLE "public"."users" ADD COLUMN "tag" text');
		}
	});
});

const fieldsSetup = `CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE members (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, username text NOT NULL);
INSERT INTO teams SELECT g, 'team ' || g FROM generate_series(1, 5) g;
INSERT INTO members (username) SELECT 'user' || g FROM generate_series(1, 40) g;`;

describeOperation('add_column with every field', [
	{
		name: 'unique, check (no inherit), comment, up; and a reference with every option',
		setup: fieldsSetup,
		operations: [
			{add_column: {table: 'members', up: "username || '@example.com'", column: {name: 'email', type: 'text', unique: true, comment: 'where we write to them', check: {name: 'email_has_at', constraint: "email LIKE '%@%'", no_inherit: true}}}},
			{add_column: {table: 'members', column: {name: 'team_id', type: 'bigint', nullable: true, references: {name: 'members_team_fk', table: 'teams', column: 'id', on_delete: 'SET NULL', on_update: 'CASCADE', match_type: 'FULL', deferrable: true, initially_deferred: false}}}},
		],
		async afterStart({v1, v2}) {
			expect(await columnsOf(v2, 'members')).toEqual(['id', 'username', 'email', 'team_id']);
			expect(await columnsOf(v1, 'members')).toEqual(['id', 'username', 'email', 'team_id']);
			await v1.query("INSERT INTO members (username) VALUES ('old app')");
			expect(await rowsOf(v2, "SELECT email FROM members WHERE username = 'old app'")).toEqual([{email: 'old app@example.com'}]);
			await v1.query("DELETE FROM members WHERE username = 'old app'");
			expect(await rowsOf(v2, "SELECT col_description('public.members'::regclass, 3) AS comment")).toEqual([{comment: 'where we write to them'}]);
		},
		async afterComplete({db, v2}) {
			const constraints = await rowsOf(db, "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'members'::regclass AND contype <> 'n' ORDER BY conname");
			expect(constraints.map(row => `${row.conname as string}: ${row.def as string}`)).toEqual([
				"email_has_at: CHECK ((email ~~ '%@%'::text)) NO INHERIT",
				'members_email_key: UNIQUE (email)',
				'members_pkey: PRIMARY KEY (id)',
				'members_team_fk: FOREIGN KEY (team_id) REFERENCES teams(id) MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE',
			]);
			await refuses(v2, "INSERT INTO members (username, email) VALUES ('x', 'user1@example.com')", /members_email_key/);
		},
	},
	{
		name: 'a serial primary key on a table without one',
		setup: "CREATE TABLE events (name text NOT NULL); INSERT INTO events SELECT 'e' || g FROM generate_series(1, 25) g;",
		operations: [{add_column: {table: 'events', column: {name: 'id', type: 'bigserial', pk: true}}}],
		async afterStart({v2}) {
			expect(await rowsOf(v2, 'SELECT count(DISTINCT id)::int AS n FROM events')).toEqual([{n: 25}]);
		},
		async afterComplete({db}) {
			expect(await rowsOf(db, "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'p'")).toEqual([{conname: 'events_pkey', def: 'PRIMARY KEY (id)'}]);
		},
	},
]);

describe('add_column refuses, before anything runs', () => {
	it.each([
		[{name: 'g', type: 'int', generated: {expression: 'id * 2'}}, /adding a generated column computes every existing row under an ACCESS EXCLUSIVE lock/],
		[{name: 'k', type: 'int', pk: true, nullable: true}, /a primary key column cannot be nullable/],
		[{name: 'k', type: 'serial', pk: true}, /"members" already has a primary key \(id\)/],
		[{name: 't', type: 'int', nullable: true, references: {name: 'f', table: 'teams', column: 'name'}}, /no primary key or unique constraint of "teams" covers exactly "name"/],
		[{name: 't', type: 'int', nullable: true, references: {name: 'f', table: 'teams', column: 'id', match_type: 'PARTIAL'}}, /does not implement MATCH PARTIAL/],
	])('%j', async (column, message) => {
		const db = await openPglite();
		try {
			await db.script(fieldsSetup);
			const catalog = await readCatalog(db);
			expect(() => compilePlan(validatePlan({id: 'A', operations: [{add_column: {table: 'members', column}}]}), catalog)).toThrow(message);
		} finally {
			await db.close();
		}
	});
});
