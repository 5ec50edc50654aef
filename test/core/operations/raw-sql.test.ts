import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {assumedCatalog} from '../../../source/core/lint/assumed-catalog.js';
import {lintPlan} from '../../../source/core/lint/index.js';
import {loadSqlParser} from '../../../source/core/lint/sql/parser.js';
import {validatePlan} from '../../../source/core/plan-file.js';
import {runCli} from '../../support/cli.js';
import {backends, createServerDatabase, serverUrl} from '../../support/databases.js';
import {expectExactRollbackAtEveryStep, openTarget, type Target} from '../../support/exact.js';
import {ruleIds} from '../../lint/lint-support.js';

const lone = {up: 'CREATE INDEX CONCURRENTLY users_username_idx ON users (username);', down: 'DROP INDEX CONCURRENTLY IF EXISTS users_username_idx'};

describe('a sql operation that is one CONCURRENTLY statement runs alone, outside a transaction', () => {
	const dir = mkdtempSync(join(tmpdir(), 'zdm-raw-sql-'));
	afterAll(() => rmSync(dir, {recursive: true, force: true}));
	const planFile = (name: string, sql: Record<string, string>) => {
		const path = join(dir, name);
		writeFileSync(path, JSON.stringify({id: name.replace('.json', ''), operations: [{sql}]}));
		return path;
	};

	it('compiles to a concurrent step; with other statements, or a CONCURRENTLY only in a string or comment, it stays a script', () => {
		const kind = (up: string) => {
			const file = validatePlan({id: 'K', operations: [{sql: {up, down: 'SELECT 1'}}]});
			return compilePlan(file, assumedCatalog(file)).plan.steps.filter(step => step.operation >= 0).map(step => step.kind);
		};

		expect(kind(lone.up)).toEqual(['concurrent']);
		expect(kind('-- rebuild\nREINDEX INDEX CONCURRENTLY users_email_idx')).toEqual(['concurrent']);
		expect(kind(`${lone.up} ANALYZE users;`)).toEqual(['script']);
		expect(kind("COMMENT ON TABLE users IS 'built CONCURRENTLY; later'")).toEqual(['script']);
		expect(kind('SELECT 1 -- not CONCURRENTLY')).toEqual(['script']);
	});

	it.skipIf(!serverUrl())('run builds the index on a server; a failure after it drops it again; mixed with other statements, run refuses', async () => {
		const created = await createServerDatabase();
		const client = new pg.Client({connectionString: created.url});
		const indexes = async () => (await client.query<{name: string}>(`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'users' AND indexname = 'users_username_idx'`)).rows.length;
		try {
			await client.connect();
			expect((await runCli(['seed', '--database-url', created.url, '--yes', '--rows', '50'])).code).toBe(0);
			const failed = await runCli(['run', planFile('fail.json', lone), '--database-url', created.url, '--yes', '--fail-at', '1']);
			expect(failed.code, failed.stderr).toBe(1);
			expect(await indexes()).toBe(0);

			const result = await runCli(['run', planFile('lone.json', lone), '--database-url', created.url, '--yes']);
			expect(result.code, result.stderr).toBe(0);
			expect(await indexes()).toBe(1);

			const mixed = await runCli(['run', planFile('mixed.json', {up: `DROP INDEX CONCURRENTLY users_username_idx; ANALYZE users`, down: 'SELECT 1'}), '--database-url', created.url, '--yes']);
			expect(mixed.code).toBe(2);
			expect(mixed.stderr).toMatch(/lint concurrently-in-transaction: .* — give it a sql operation of its own/);
			expect(await indexes()).toBe(1);
		} finally {
			await client.end();
			await created.drop();
		}
	});
});

/** Statements whose exact inverse PostgreSQL's parser proves, and the down zdm derives for each. */
const provable: Array<[string, string, string[]]> = [
	['a table with a serial key, a reference and an index', 'CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint REFERENCES users (id), total numeric(10,2) UNIQUE); CREATE INDEX orders_user ON orders (user_id)', ['DROP INDEX "orders_user"', 'DROP TABLE "orders"']],
	['types and a domain', "CREATE TYPE size AS ENUM ('s', 'm'); CREATE TYPE pair AS (a int, b text); CREATE TYPE span AS RANGE (subtype = int4); CREATE DOMAIN positive AS int CHECK (VALUE > 0)", ['DROP DOMAIN "positive"', 'DROP TYPE "span"', 'DROP TYPE "pair"', 'DROP TYPE "size"']],
	['a view, a function and a procedure', "CREATE VIEW named AS SELECT id, username FROM users; CREATE FUNCTION shout(t text, n int[], OUT r text) LANGUAGE sql AS $$ SELECT upper(t) $$; CREATE PROCEDURE noop() LANGUAGE sql AS 'SELECT 1'", ['DROP PROCEDURE "noop"()', 'DROP FUNCTION "shout"("text", "pg_catalog"."int4"[])', 'DROP VIEW "named"']],
	['a sequence, columns and a schema', 'CREATE SEQUENCE tickets; ALTER TABLE users ADD COLUMN nickname text, ADD COLUMN visits int DEFAULT 0; CREATE SCHEMA reports', ['DROP SCHEMA "reports"', 'ALTER TABLE "users" DROP COLUMN "visits", DROP COLUMN "nickname"', 'DROP SEQUENCE "tickets"']],
];

const setup = 'CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, username text NOT NULL, email text); INSERT INTO users (username, email) SELECT \'u\' || g, g || \'@example.com\' FROM generate_series(1, 20) g;';

describe('a sql operation without down whose statements only create: its inverse is derived', () => {
	beforeAll(async () => loadSqlParser());

	it.each(provable)('%s: the plan shows the derived down, and lint asks for none', async (_case, up, down) => {
		const file = validatePlan({id: 'D', operations: [{sql: {up}}]});
		const {plan} = compilePlan(file, assumedCatalog(file));
		const step = plan.steps.find(candidate => candidate.operation === 0)!;
		expect(step.rollback).toEqual(down);
		expect(step.irreversible).toBe(false);
		expect(step.description).toMatch(/\(down derived\)$/);
		expect(ruleIds(await lintPlan({file, plan}))).not.toContain('sql-without-down');
	});

	it.each([
		['CREATE TABLE IF NOT EXISTS t (a int)', /CREATE TABLE IF NOT EXISTS t \(a int\) has no provable inverse/],
		['CREATE OR REPLACE VIEW v AS SELECT 1', /CREATE OR REPLACE VIEW/],
		['CREATE INDEX ON users (email)', /CREATE INDEX ON users/],
		["CREATE TABLE t (a int); UPDATE users SET email = ''", /UPDATE users/],
		['CREATE EXTENSION IF NOT EXISTS pgcrypto', /IF NOT EXISTS/],
	])('%s has no provable inverse: it still needs down', async (up, reason) => {
		const file = validatePlan({id: 'N', operations: [{sql: {up}}]});
		const {plan} = compilePlan(file, assumedCatalog(file));
		expect(plan.steps.find(step => step.operation === 0)!.rollback).toEqual([]);
		const [finding] = (await lintPlan({file, plan})).filter(found => found.rule === 'sql-without-down');
		expect(finding?.message).toMatch(reason);
	});

	it('onComplete that only adds is no contract without expand, whether or not its inverse is provable; one that drops is', async () => {
		const rules = async (up: string) => {
			const file = validatePlan({id: 'C', operations: [{sql: {up, onComplete: true}}]});
			return ruleIds((await lintPlan({file, plan: compilePlan(file, assumedCatalog(file)).plan})).filter(found => found.severity !== 'info'));
		};

		expect(await rules('ALTER TABLE people ADD COLUMN birth_date timestamp')).toEqual([]);
		expect(await rules('CREATE INDEX CONCURRENTLY ON people (name)')).toEqual(['sql-without-down']);
		expect(await rules('DROP TABLE people')).toEqual(['contract-without-expand', 'sql-without-down']);
	});

	describe.each(backends())('on %s: a failure at every step rolls back exactly through the derived down', backend => {
		let target: Target & {close(): Promise<void>};
		beforeAll(async () => {
			target = await openTarget(backend);
		});
		afterAll(async () => target.close());

		it.each(provable)('%s', async (_case, up) => {
			await expectExactRollbackAtEveryStep(target, validatePlan({id: 'DERIVED', operations: [{sql: {up}}]}), setup);
		});

		it.skipIf(backend === 'pglite')('an extension (server only: PGlite bundles none of contrib)', async () => {
			await expectExactRollbackAtEveryStep(target, validatePlan({id: 'EXT', operations: [{sql: {up: 'CREATE EXTENSION citext'}}]}), setup);
		});
	});
});
