import {readdirSync} from 'node:fs';
import type pg from 'pg';
import {describe, expect, it} from 'vitest';
import {serverUrl} from '../support/databases.js';
import {pgDumpDatabase} from '../support/pg-dump.js';
import {hasPgDump, rowsHash, runToEnd, seed, useServerDatabase} from './support.js';

/**
 * Rollback is exact, as pg_dump sees it: for every sample and every step, a failure injected
 * there (--fail-at) through the real CLI on a real server leaves `pg_dump --schema-only` of the
 * whole database (but zdm's own state: a leftover version schema or trigger function shows) and a
 * hash of the rows exactly as they were. Then the same for `start` followed by `rollback`.
 */

const samples = readdirSync('samples')
	.filter(name => !name.startsWith('unsafe-') && /\.(ya?ml|json)$/.test(name))
	.map(name => `samples/${name}`);

describe.skipIf(!serverUrl() || !hasPgDump())('rollback leaves what pg_dump prints unchanged', () => {
	let url: string;
	let app: pg.Client;

	useServerDatabase(server => ({url, app} = server));

	/** The demo table with more to lose than columns: a UNIQUE constraint, an index, a comment. */
	async function reset() {
		await seed(app, 600);
		await app.query('ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)');
		await app.query('CREATE INDEX users_username_idx ON users (username)');
		await app.query("COMMENT ON COLUMN users.email IS 'where we write to'");
	}

	const snapshot = async () => ({definition: await pgDumpDatabase(url), rows: await rowsHash(app, '*')});
	const cli = (...args: string[]) => runToEnd([...args, '--yes', '--json', '--batch-size', '100', '--database-url', url]);

	for (const sample of samples) {
		it(`${sample}: a failure injected at each step rolls back to the same pg_dump and rows`, async () => {
			await reset();
			const before = await snapshot();
			expect(before.definition).toContain('CREATE TABLE public.users');
			const planned = await runToEnd(['plan', sample, '--json', '--database-url', url]);
			expect(planned.code, planned.stderr).toBe(0);
			const {plan} = planned.last() as {plan: {id: string; steps: unknown[]}};
			expect(plan.steps.length).toBeGreaterThan(0);
			for (let failAt = 1; failAt <= plan.steps.length; failAt++) {
				const run = await cli('run', sample, '--fail-at', String(failAt));
				expect(run.code, `fail at ${failAt}: ${run.stderr}`).toBe(1);
				expect(run.last()).toMatchObject({type: 'summary', phase: 'ROLLED_BACK', progress: 0});
				expect(run.last().error).toMatch(new RegExp(`injected failure at step ${failAt}`));
				const after = await snapshot();
				expect(after.definition, `pg_dump after failing at step ${failAt} of ${sample}`).toBe(before.definition);
				expect(after.rows, `rows after failing at step ${failAt} of ${sample}`).toBe(before.rows);
			}
		});

		it(`${sample}: start, then rollback, gives the same pg_dump and rows`, async () => {
			await reset();
			const before = await snapshot();
			const start = await cli('start', sample);
			expect(start.code, start.stderr).toBe(0);
			const {id, phase} = start.last() as {id: string; phase: string};
			const started = await snapshot();
			const rollback = await cli('rollback', id);
			if (phase === 'COMPLETE') {
				// Nothing to contract (an index): start finishes it, and a finished migration is not undone.
				expect(rollback.code).toBe(2);
				expect(rollback.stderr.trim()).toMatch(new RegExp(`^zdm-tui: migration ${id} is COMPLETE and cannot be rolled back — `));
				return;
			}

			expect(phase).toMatch(/EXPANDING|MIGRATING/);
			expect(started.definition, 'start changed nothing').not.toBe(before.definition);
			expect(rollback.code, rollback.stderr).toBe(0);
			expect(rollback.last()).toMatchObject({type: 'summary', id, phase: 'ROLLED_BACK', progress: 0});
			const after = await snapshot();
			expect(after.definition).toBe(before.definition);
			expect(after.rows).toBe(before.rows);
		});
	}
});
