import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {leftovers} from '../../source/db/catalog.js';
import {isEvent, kill9, startCli, useServerDatabase} from '../reliability/support.js';
import {serverUrl} from '../support/databases.js';
import {backends, compileOn, expectExactRollbackAtEveryStep, openTarget, plan, resetSchema, runToComplete, type Target} from '../support/exact.js';
import {resetMigrationsSql} from '../support/reset.js';

/**
 * A plan of six operations of every kind, whose contract parts merge into one final step: COMPLETE
 * with the data right, a failure at every step (the merged final one included) rolling back
 * exactly, and on a server kill -9 in the middle of it, resumed to the same COMPLETE.
 */

const setup = `CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL, email text, nick text, legacy text);
INSERT INTO users (username, email, nick, legacy) SELECT 'User' || g, 'User' || g || '@Example.com', CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' || g END, 'old' || g FROM generate_series(1, 60) g;`;

const document = {
	id: 'MIG-MULTI',
	title: 'Six operations, one merged contract',
	operations: [
		{add_column: {table: 'users', column: {name: 'display_name', type: 'text', nullable: false, default: "''"}, up: 'initcap(username)'}},
		{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', up: 'lower(email)', down: 'email'}},
		{rename_column: {table: 'users', from: 'nick', to: 'handle'}},
		{create_index: {table: 'users', name: 'users_username_idx', columns: ['username']}},
		{drop_column: {table: 'users', column: 'legacy', down: "'old' || id"}},
		{sql: {up: 'CREATE TABLE signups (user_id bigint PRIMARY KEY REFERENCES users (id))', down: 'DROP TABLE signups'}},
	],
};
const multi = plan(document);

/** The table after COMPLETE, derived from the seed the way each operation says. */
async function expectCompleteData(query: (sql: string) => Promise<Array<Record<string, unknown>>>) {
	const columns = await query("SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS not_null FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname");
	expect(columns).toEqual([
		{name: 'display_name', type: 'text', not_null: true},
		{name: 'email', type: 'character varying(320)', not_null: false},
		{name: 'handle', type: 'text', not_null: false},
		{name: 'id', type: 'bigint', not_null: true},
		{name: 'username', type: 'text', not_null: true},
	]);
	const wrong = await query(
		`SELECT count(*)::int AS n FROM users WHERE display_name IS DISTINCT FROM initcap(username) OR email IS DISTINCT FROM 'user' || id || '@example.com'
		    OR handle IS DISTINCT FROM CASE WHEN id % 4 = 0 THEN NULL ELSE 'n' || id END`,
	);
	expect(wrong[0]).toEqual({n: 0});
	expect(await query("SELECT indexname FROM pg_indexes WHERE tablename = 'users' AND indexname = 'users_username_idx'")).toHaveLength(1);
	expect(await query("SELECT to_regclass('signups') IS NOT NULL AS exists")).toEqual([{exists: true}]);
}

describe.each(backends())('a multi-operation plan on %s', backend => {
	let target: Target & {close(): Promise<void>};
	beforeAll(async () => {
		target = await openTarget(backend);
	});
	afterAll(async () => target?.close());

	it('compiles to one merged final step holding every operation\'s contract, after everything reversible', async () => {
		await resetSchema(target.db, setup);
		const steps = (await compileOn(target.db, multi)).steps;
		const finals = steps.filter(step => step.final);
		expect(finals).toHaveLength(1);
		expect(steps.at(-1)).toBe(finals[0]);
		expect(finals[0]).toMatchObject({irreversible: true, description: expect.stringMatching(/^Finish \d+ operations: /)});
	});

	it('COMPLETE: every operation\'s result, the data carried across', async () => {
		await runToComplete(target, multi, setup);
		await expectCompleteData(async sql => (await target.db.query(sql)).rows);
		expect(await leftovers(target.db)).toEqual([]);
	});

	it('a failure at every step, the merged final one included, rolls back exactly: whole schema, pg_dump, rows', async () => {
		expect(await expectExactRollbackAtEveryStep(target, multi, setup)).toBeGreaterThanOrEqual(12);
	});
});

describe.skipIf(!serverUrl())('a multi-operation plan killed with -9 on a server, then run again', () => {
	const scratch = mkdtempSync(join(tmpdir(), 'zdm-multi-'));
	const planPath = join(scratch, 'multi.json');
	writeFileSync(planPath, JSON.stringify(document));
	let url: string;
	let app: pg.Client;
	useServerDatabase(server => ({url, app} = server));
	afterAll(() => rmSync(scratch, {recursive: true, force: true}));

	const args = () => ['run', planPath, '--yes', '--json', '--batch-size', '7', '--database-url', url];
	const query = async (sql: string) => (await app.query(sql)).rows as Array<Record<string, unknown>>;

	const nth = (match: (line: string) => boolean, n: number) => {
		let seen = 0;
		return (line: string) => match(line) && ++seen === n;
	};

	it.each([
		// 60 rows fit one page, and a batch is whole pages: one batch per backfill, two backfills (the
		// rename copies nothing); the kill lands after a batch commits, before its step is marked.
		['in the first backfill', () => nth(isEvent('batch'), 1), /^MIGRATING$/],
		['in the second backfill', () => nth(isEvent('batch'), 2), /^MIGRATING$/],
		// One transaction: the kill finds it committed or not, and either way the rerun ends COMPLETE.
		['as the merged final step starts', () => (line: string) => isEvent('step-started')(line) && /"description":"Finish \d+ operations/.test(line), /^(CONTRACTING|COMPLETE)$/],
	])('killed %s: resumes to COMPLETE with every operation\'s result', async (_where, match, phase) => {
		await app.query(resetMigrationsSql);
		await app.query(`DROP SCHEMA public CASCADE; CREATE SCHEMA public; ${setup}`);
		const cli = startCli(args());
		await cli.waitForLine(match());
		await kill9(cli);
		for (let i = 0; i < 100; i++) {
			const {rows} = await app.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'zdm-tui' AND datname = current_database()");
			if (rows[0].n === 0) break;
			await new Promise(resolve => setTimeout(resolve, 50));
		}

		const {rows: landed} = await app.query<{phase: string}>("SELECT phase FROM zdm.migrations WHERE id = 'MIG-MULTI'");
		expect(landed[0]!.phase, 'where the kill landed').toMatch(phase);
		const resumed = startCli(args());
		expect(await resumed.exited, resumed.stderr()).toBe(0);
		expect(JSON.parse(resumed.lines.at(-1)!)).toMatchObject({type: 'summary', phase: 'COMPLETE', progress: 100});
		await expectCompleteData(query);
	});
});
