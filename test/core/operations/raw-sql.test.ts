import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import pg from 'pg';
import {afterAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {assumedCatalog} from '../../../source/core/lint/assumed-catalog.js';
import {validatePlan} from '../../../source/core/plan-file.js';
import {runCli} from '../../support/cli.js';
import {createServerDatabase, serverUrl} from '../../support/databases.js';

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
