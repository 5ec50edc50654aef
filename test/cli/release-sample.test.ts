import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {openPostgres} from '../../source/db/postgres.js';
import {seedUsers} from '../../source/db/seed.js';
import {lastJson, runCli} from '../support/cli.js';
import {backends, createServerDatabase} from '../support/databases.js';

/**
 * samples/release (#11), the chain the dashboard demonstrates, also runs headless: `migrate
 * samples/release` on the demo users table, on PGlite and on a server. All but the last
 * migration COMPLETE, each recording its parent; the last left started for the new version.
 */
describe.each(backends())('zdm-tui migrate samples/release on %s', backend => {
	let where: string[];
	let url: string | undefined;
	let dataDir: string | undefined;
	let drop: (() => Promise<void>) | undefined;

	async function withDb<T>(work: (db: Database) => Promise<T>): Promise<T> {
		const db = url ? await openPostgres(url) : await openPglite({dataDir});
		try {
			return await work(db);
		} finally {
			await db.close();
		}
	}

	beforeAll(async () => {
		if (backend === 'server') {
			({url, drop} = await createServerDatabase());
			where = ['--database-url', url];
		} else {
			dataDir = mkdtempSync(join(tmpdir(), 'zdm-release-'));
			where = ['--data-dir', dataDir];
		}

		await withDb(async db => seedUsers(db, {rows: 300}));
	});

	afterAll(async () => {
		await drop?.();
		if (dataDir) rmSync(dataDir, {recursive: true, force: true});
	});

	it('applies the three migrations: the first two COMPLETE, the last started, the table as the new version expects', async () => {
		const result = await runCli(['migrate', 'samples/release', '--yes', '--json', ...where]);
		expect(result.code, result.stderr).toBe(0);
		expect(lastJson(result)).toMatchObject({type: 'summary', phase: 'EXPANDING', versionSchema: 'public_03_add_plan'});
		await withDb(async db => {
			const chain = await db.query('SELECT id, phase, parent, source_file FROM zdm.migrations ORDER BY started_at, id');
			expect(chain.rows).toEqual([
				{id: '01_add_nickname', phase: 'COMPLETE', parent: null, source_file: '01_add_nickname.yaml'},
				{id: '02_rename_email', phase: 'COMPLETE', parent: '01_add_nickname', source_file: '02_rename_email.yaml'},
				{id: '03_add_plan', phase: 'EXPANDING', parent: '02_rename_email', source_file: '03_add_plan.yaml'},
			]);
			const wrong = await db.query<{n: number}>('SELECT count(*)::int AS n FROM users WHERE nickname IS DISTINCT FROM initcap(username)');
			expect(wrong.rows[0]!.n).toBe(0);
			// The new version sees every column under its final name, the plan defaulted and checked.
			const row = await db.query('SELECT id::int AS id, username, contact_email, nickname, plan FROM "public_03_add_plan".users WHERE id = 1');
			expect(row.rows).toEqual([{id: 1, username: 'alice', contact_email: 'alice@example.com', nickname: 'Alice', plan: 'free'}]);
		});
		const again = await runCli(['migrate', 'samples/release', '--yes', ...where]);
		expect(again.code, again.stderr).toBe(0);
		expect(again.stdout).toMatch(/nothing to migrate .*3 migrations applied, the last \(03_add_plan\) EXPANDING/);
		// Contract, once the old version is retired, adds the CHECK: a blank plan is refused from then on.
		const complete = await runCli(['complete', '03_add_plan', '--yes', ...where]);
		expect(complete.code, complete.stderr).toBe(0);
		await withDb(async db => {
			await expect(db.query("INSERT INTO \"public_03_add_plan\".users (username, plan) VALUES ('carol', ' ')")).rejects.toThrow(/users_plan_not_blank/);
			const phases = await db.query<{phase: string}>('SELECT phase FROM zdm.migrations ORDER BY started_at, id');
			expect(phases.rows.map(row => row.phase)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE']);
		});
	});
});
