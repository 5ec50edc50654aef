import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type pg from 'pg';
import {afterAll, describe, expect, it} from 'vitest';
import {serverUrl} from '../support/databases.js';
import {isEvent, kill9, seed, sleep, startCli, useServerDatabase} from './support.js';

/**
 * kill -9 in the middle of a chain (#11), then the same `migrate DIR` again: the migration that
 * was running resumes where it stopped (its backfill from the batches already committed, not
 * from the first row), the ones after it run, and every row holds what the application wrote.
 */

const rows = 20_000;
const batchSize = 50;

const files: Record<string, string> = {
	'001_rename_email.yaml': 'operations:\n  - rename_column: {table: users, from: email, to: contact_email}\n',
	'002_display_name.json': JSON.stringify({operations: [{add_column: {table: 'users', column: {name: 'display_name', type: 'text', nullable: true}, up: 'initcap(username)'}}]}),
	'003_display_name_index.sql': 'CREATE INDEX users_display_name_idx ON users (display_name);\n',
};

describe.skipIf(!serverUrl())('kill -9 in the middle of migrate DIR, then the same command again', () => {
	let url: string;
	let app: pg.Client;
	useServerDatabase(server => ({url, app} = server));
	const dir = mkdtempSync(join(tmpdir(), 'zdm-chain-crash-'));
	for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
	afterAll(() => rmSync(dir, {recursive: true, force: true}));

	const args = () => ['migrate', dir, '--yes', '--json', '--batch-size', String(batchSize), '--lock-timeout', '100', '--database-url', url];
	const inMigration = (id: string, type: string) => {
		const matches = isEvent(type);
		return (line: string) => matches(line) && (JSON.parse(line) as {migration?: string}).migration === id;
	};

	const nth = (n: number, match: (line: string) => boolean) => {
		let seen = 0;
		return (line: string) => match(line) && ++seen >= n;
	};

	async function waitForZdmGone() {
		for (let i = 0; i < 100; i++) {
			const {rows: left} = await app.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'zdm-tui' AND datname = current_database()");
			if (left[0].n === 0) return;
			await sleep(50);
		}

		throw new Error('zdm-tui backends still connected 5 s after kill -9');
	}

	const phases = async () => (await app.query<{id: string; phase: string; parent: string | null}>('SELECT id, phase, parent FROM zdm.migrations ORDER BY started_at, id')).rows;

	/** What the old application does while zdm is down: it knows users by the base table's names. */
	async function applicationWrites() {
		await app.query("UPDATE users SET username = 'renamed' || id WHERE id % 997 = 3");
		await app.query("INSERT INTO users (username, contact_email) SELECT 'late' || g, 'late' || g || '@example.com' FROM generate_series(1, 25) g");
	}

	it('mid-backfill of the second file: the rerun resumes it from its committed batches, runs the third, and every row is right', async () => {
		await seed(app, rows);
		const first = startCli(args());
		await first.waitForLine(nth(5, inMigration('002_display_name', 'batch')));
		await kill9(first);
		await waitForZdmGone();
		expect(await phases()).toEqual([
			{id: '001_rename_email', phase: 'COMPLETE', parent: null},
			{id: '002_display_name', phase: 'MIGRATING', parent: '001_rename_email'},
		]);
		const {rows: committed} = await app.query<{n: number}>("SELECT count(*)::int AS n FROM zdm.backfill_batch WHERE migration_id = '002_display_name'");
		expect(committed[0]!.n).toBeGreaterThanOrEqual(5);
		expect(committed[0]!.n).toBeLessThan(rows / batchSize);
		await applicationWrites();

		const again = startCli(args());
		expect(await again.exited, again.stderr()).toBe(0);
		const opened = again.lines.filter(isEvent('migration')).map(line => JSON.parse(line) as {migration: string; resumed: boolean; target: string});
		expect(opened).toEqual([
			expect.objectContaining({migration: '002_display_name', resumed: true, target: 'complete'}),
			expect.objectContaining({migration: '003_display_name_index', resumed: false, target: 'started'}),
		]);
		// Resumed, not restarted: the second run filled only what the first had not.
		const batchesAgain = again.lines.filter(inMigration('002_display_name', 'batch')).length;
		expect(batchesAgain).toBeGreaterThan(0);
		expect(batchesAgain).toBeLessThan(rows / batchSize - committed[0]!.n + 5);
		expect(await phases()).toEqual([
			{id: '001_rename_email', phase: 'COMPLETE', parent: null},
			{id: '002_display_name', phase: 'COMPLETE', parent: '001_rename_email'},
			{id: '003_display_name_index', phase: 'EXPANDING', parent: '002_display_name'},
		]);
		const {rows: wrong} = await app.query<{n: number; total: number}>('SELECT count(*) FILTER (WHERE display_name IS DISTINCT FROM initcap(username))::int AS n, count(*)::int AS total FROM users');
		expect(wrong[0]).toEqual({n: 0, total: rows + 25});
		const {rows: index} = await app.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'users_display_name_idx'");
		expect(index).toHaveLength(1);

		// And once more: nothing left to do.
		const third = startCli(args());
		expect(await third.exited, third.stderr()).toBe(0);
		expect(JSON.parse(third.lines.at(-1)!)).toEqual({type: 'summary', migrations: [], applied: 3, latest: '003_display_name_index', phase: 'EXPANDING'});
	});

	it('as the third file opens: the rerun starts it afresh and leaves it started', async () => {
		await seed(app, 2000);
		const first = startCli(args());
		await first.waitForLine(inMigration('003_display_name_index', 'migration'));
		await kill9(first);
		await waitForZdmGone();
		const landed = await phases();
		expect(landed.slice(0, 2).map(row => row.phase)).toEqual(['COMPLETE', 'COMPLETE']);
		const again = startCli(args());
		expect(await again.exited, again.stderr()).toBe(0);
		expect(await phases()).toEqual([
			{id: '001_rename_email', phase: 'COMPLETE', parent: null},
			{id: '002_display_name', phase: 'COMPLETE', parent: '001_rename_email'},
			{id: '003_display_name_index', phase: 'EXPANDING', parent: '002_display_name'},
		]);
		const {rows: valid} = await app.query<{valid: boolean}>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'users_display_name_idx'::regclass");
		expect(valid).toEqual([{valid: true}]);
	});
});
