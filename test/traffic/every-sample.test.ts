import {readdirSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {openPostgres} from '../../source/db/postgres.js';
import {seedUsers} from '../../source/db/seed.js';
import {lastJson, runCli} from '../support/cli.js';
import {createServerDatabase, serverUrl} from '../support/databases.js';
import {resetMigrations} from '../support/reset.js';

/**
 * The zero-downtime verdict for every sample, with v1 and v2 written as real applications are:
 * v1 on the old schema, v2 on the migration's version schema with the final names only. The
 * wait bound is wide (60 s): these tests are about errors; the bench measures waits.
 */
const samples = readdirSync('samples')
	.filter(name => !name.startsWith('unsafe-') && /\.(ya?ml|json)$/.test(name))
	.map(name => `samples/${name}`);

interface Figures {
	errors: number;
	requests: number;
	lastError?: string;
}

function expectZeroDowntime(summary: Record<string, unknown>) {
	expect(summary).toMatchObject({phase: 'COMPLETE', traffic: {zeroDowntime: true}});
	const {v1, v2} = summary.traffic as {v1: Figures; v2: Figures};
	expect([v1.errors, v1.lastError ?? '', v2.errors, v2.lastError ?? '']).toEqual([0, '', 0, '']);
	expect(v1.requests).toBeGreaterThan(0);
	expect(v2.requests).toBeGreaterThan(0);
}

describe('every sample keeps both application versions error-free (embedded)', () => {
	it.each(samples)('%s', async sample => {
		const result = await runCli(['run', sample, '--rows', '3000', '--yes', '--json', '--traffic', '100', '--wait-threshold', '60000']);
		expect(result.code, result.stderr).toBe(0);
		expectZeroDowntime(lastJson(result));
	});
});

describe.skipIf(!serverUrl())('every sample keeps both application versions error-free (server)', () => {
	let url: string;
	let drop: () => Promise<void>;
	beforeAll(async () => {
		({url, drop} = await createServerDatabase());
	});
	afterAll(async () => drop());

	it.each(samples)('%s', async sample => {
		const db = await openPostgres(url);
		try {
			await resetMigrations(db);
			await seedUsers(db, {rows: 3000, force: true});
		} finally {
			await db.close();
		}

		const result = await runCli(['run', sample, '--yes', '--json', '--traffic', '100', '--wait-threshold', '60000', '--database-url', url]);
		expect(result.code, result.stderr).toBe(0);
		expectZeroDowntime(lastJson(result));
	});
});
