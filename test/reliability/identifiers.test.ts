import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type pg from 'pg';
import YAML from 'yaml';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {leftovers} from '../../source/db/catalog.js';
import {ident} from '../../source/core/sql.js';
import {serverUrl} from '../support/databases.js';
import {columnsOf, definitionOrColumns, rowsHash, runToEnd, seed, useServerDatabase} from './support.js';

/**
 * Hostile names and expressions through the real CLI on a server. Names with quotes, semicolons,
 * spaces, capitals and non-ASCII work exactly as written; names over 63 bytes are refused; an
 * `up`, `down`, default, check or type that tries to reach outside its statement is refused
 * before anything runs. A table called victim shows that nothing was dropped on the side.
 */

const table = 'Wëird "Tåble"; DROP TABLE victim; --';
const key = 'ID "key"';
const email = 'E-mail "x"; DROP TABLE victim; --';
const unicode = 'Ünïcødé naïve';
const mixed = 'MixedCase';
const semi = 'semi;colon';
const elephants = '🐘🐘🐘';
const added = 'New "Col"; --';
const renamed = "Rénamed 'semi' \"col\"";
const index = 'Idx "Ünï"; DROP';
// Near the 63-byte limit with 4-byte characters: zdm's own names derived from them must cut whole characters.
const longTable = '🐘'.repeat(15);
const longColumn = 'é'.repeat(31);
const longRenamed = 'ß'.repeat(31);

describe.skipIf(!serverUrl())('hostile identifiers and expressions', () => {
	let url: string;
	let app: pg.Client;
	const scratch = mkdtempSync(join(tmpdir(), 'zdm-names-'));
	const planFile = (name: string, plan: unknown) => {
		const path = join(scratch, name);
		writeFileSync(path, YAML.stringify(plan));
		return path;
	};

	const run = (path: string) => runToEnd(['run', path, '--yes', '--json', '--batch-size', '7', '--database-url', url]);
	const queryable = () => ({
		query: async (sql: string, params?: unknown[]) => app.query(sql, params).then(r => ({rows: r.rows, rowCount: r.rowCount ?? 0})),
		script: async () => {},
	});

	async function untouched() {
		const {rows} = await app.query("SELECT to_regclass('public.victim') IS NOT NULL AS victim, to_regnamespace('zdm') IS NOT NULL AS zdm");
		return {...rows[0], users: await definitionOrColumns(url, app), rows: await rowsHash(app, '*')};
	}

	useServerDatabase(server => ({url, app} = server));

	beforeAll(async () => {
		await seed(app, 100);
		await app.query('CREATE TABLE victim (id int)');
		await app.query(
			`CREATE TABLE ${ident(table)} (${ident(key)} bigint PRIMARY KEY, ${ident(email)} text, ${ident(unicode)} text, ${ident(mixed)} int, ${ident(semi)} text, ${ident(elephants)} text)`,
		);
		await app.query(`INSERT INTO ${ident(table)} SELECT g, 'mail' || g || '@x', 'ü' || g, g * 10, 's;' || g, '🐘' || g FROM generate_series(1, 50) g`);
		await app.query(`CREATE TABLE ${ident(longTable)} (id bigint PRIMARY KEY, ${ident(longColumn)} text)`);
		await app.query(`INSERT INTO ${ident(longTable)} SELECT g, 'v' || g FROM generate_series(1, 30) g`);
	});

	afterAll(() => {
		rmSync(scratch, {recursive: true, force: true});
	});

	it('add, rename, alter, drop and create_index on hostile names work exactly as written', async () => {
		const path = planFile('hostile.yaml', {
			id: 'HOSTILE-1',
			operations: [
				// Semicolons, dashes and a quote inside literals are part of the value, not the statement.
				{add_column: {table, column: {name: added, type: 'text', nullable: true}, up: `${ident(email)} || ';--' || $$'$$`}},
				{rename_column: {table, from: semi, to: renamed}},
				{alter_column: {table, column: mixed, type: 'bigint'}},
				{create_index: {table, name: index, columns: [unicode]}},
				{drop_column: {table, column: elephants, down: "'🐘'"}},
			],
		});
		const result = await run(path);
		expect(result.code, result.stderr).toBe(0);
		expect(result.last()).toMatchObject({phase: 'COMPLETE'});
		// A rename keeps the column where it was; added and retyped (shadow) columns come last.
		expect(await columnsOf(app, ident(table))).toEqual([key, email, unicode, renamed, added, mixed]);
		const {rows} = await app.query(`SELECT * FROM ${ident(table)} ORDER BY 1`);
		expect(rows).toHaveLength(50);
		for (const row of rows) {
			const n = Number(row[key]);
			expect(row).toEqual({[key]: String(n), [email]: `mail${n}@x`, [unicode]: `ü${n}`, [added]: `mail${n}@x;--'`, [renamed]: `s;${n}`, [mixed]: String(n * 10)});
		}

		const types = await app.query<{type: string}>('SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2', [ident(table), mixed]);
		expect(types.rows[0]!.type).toBe('bigint');
		const indexes = await app.query<{name: string}>('SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = to_regclass($1) AND NOT indisprimary', [ident(table)]);
		expect(indexes.rows.map(r => r.name)).toEqual([ident(index)]);
		expect((await untouched()).victim).toBe(true);
		expect(await leftovers(queryable())).toEqual([]);
	});

	it('names of 4-byte characters near the 63-byte limit: renamed exactly, nothing left behind', async () => {
		const result = await run(planFile('long.yaml', {id: 'HOSTILE-2', operations: [{rename_column: {table: longTable, from: longColumn, to: longRenamed}}]}));
		expect(result.code, result.stderr).toBe(0);
		expect(await columnsOf(app, ident(longTable))).toEqual(['id', longRenamed]);
		const {rows} = await app.query(`SELECT count(*)::int AS n FROM ${ident(longTable)} WHERE ${ident(longRenamed)} = 'v' || id`);
		expect(rows[0].n).toBe(30);
		expect(await leftovers(queryable())).toEqual([]);
	});

	it.each([
		['a table name of 64 bytes', {drop_column: {table: 't'.repeat(64), column: 'email'}}],
		['a new column name of 64 bytes (32 × é)', {rename_column: {table: 'users', from: 'email', to: 'é'.repeat(32)}}],
		['an added column of 100 characters', {add_column: {table: 'users', column: {name: 'x'.repeat(100), type: 'text', nullable: true}}}],
		['an index name of 64 bytes (16 × 🐘)', {create_index: {table: 'users', name: '🐘'.repeat(16), columns: ['email']}}],
		['a check name of 70 bytes', {add_column: {table: 'users', column: {name: 'z', type: 'int', nullable: true, check: {name: 'c'.repeat(70), constraint: 'z > 0'}}}}],
	])('%s is refused in one line (exit 2), nothing changed', async (_what, operation) => {
		const before = await untouched();
		const result = await run(planFile('too-long.yaml', {id: 'LONG', operations: [operation]}));
		expect(result.code, result.stderr).toBe(2);
		const stderr = result.stderr.trim();
		expect(stderr.split('\n')).toHaveLength(1);
		expect(stderr).toMatch(/ is \d+ bytes; PostgreSQL names hold at most 63 — choose a shorter name$/);
		expect(await untouched()).toEqual(before);
	});

	it.each([
		['up', {add_column: {table: 'users', column: {name: 'x', type: 'text', nullable: true}, up: '1); DROP TABLE victim; --'}}],
		['up', {add_column: {table: 'users', column: {name: 'x', type: 'text', nullable: true}, up: '(SELECT 1); DROP TABLE victim'}}],
		['up', {add_column: {table: 'users', column: {name: 'x', type: 'text', nullable: true}, up: 'email) FROM users; DELETE FROM users; SELECT (1'}}],
		['up', {add_column: {table: 'users', column: {name: 'x', type: 'text', nullable: true}, up: '(WITH d AS (DELETE FROM users RETURNING 1) SELECT 1)'}}],
		['up', {add_column: {table: 'users', column: {name: 'x', type: 'text', nullable: true}, up: 'email /*'}}],
		['down', {drop_column: {table: 'users', column: 'email', down: '$zdm$; DROP TABLE victim; $zdm$'}}],
		['down', {alter_column: {table: 'users', column: 'email', type: 'varchar(99)', up: 'email', down: "email); DROP TABLE victim; SELECT ('"}}],
		['default', {add_column: {table: 'users', column: {name: 'x', type: 'text', nullable: true, default: "'x'; DROP TABLE victim"}}}],
		['default', {alter_column: {table: 'users', column: 'email', default: "'x', DROP username"}}],
		['default', {alter_column: {table: 'users', column: 'username', default: "'x', DROP COLUMN email"}}],
		['check', {add_column: {table: 'users', column: {name: 'x', type: 'int', nullable: true, check: {name: 'x_check', constraint: 'true) NOT VALID, DROP COLUMN email, ADD CHECK (true'}}}}],
		['type', {add_column: {table: 'users', column: {name: 'x', type: 'text, DROP COLUMN email', nullable: true}}}],
		['type', {add_column: {table: 'users', column: {name: 'x', type: 'text; DROP TABLE victim', nullable: true}}}],
		['type', {alter_column: {table: 'users', column: 'email', type: 'text USING NULL, DROP COLUMN username'}}],
	])('%s reaching outside its statement is refused (exit 2), nothing changed: %j', async (_field, operation) => {
		const before = await untouched();
		expect(before.victim).toBe(true);
		const result = await run(planFile('inject.yaml', {id: 'INJECT', operations: [operation]}));
		expect(result.code, result.stderr + result.lines.join('\n')).toBe(2);
		expect(result.stderr.trim().split('\n')).toHaveLength(1);
		expect(result.stderr).toMatch(/^zdm-tui: .*operations\[0\]\.\w+/);
		expect(await untouched()).toEqual(before);
	});
});
