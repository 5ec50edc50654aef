import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {tableDefinition, tableHash} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openPostgres} from '../../source/db/postgres.js';
import {acquireHolder, ensureStateSchema} from '../../source/db/state.js';
import {seedUsers} from '../../source/db/seed.js';
import {lastJson, runCli} from '../support/cli.js';
import {createServerDatabase, serverUrl} from '../support/databases.js';

const scratch = mkdtempSync(join(tmpdir(), 'zdm-cli-'));
const planFile = (name: string, text: string) => {
	const path = join(scratch, name);
	writeFileSync(path, text);
	return path;
};

/** Exactly one line on stderr (so no stack trace), matching the pattern. */
function expectOneLineError(stderr: string, pattern: RegExp) {
	const lines = stderr.replace(/\n$/, '').split('\n');
	expect(lines, stderr).toHaveLength(1);
	expect(lines[0]).toMatch(pattern);
}

/** start stops before the contract: every step before CONTRACTING done, as a percentage with one decimal. */
const startedProgress = (steps: Array<{phase: string}>) => Math.round((steps.filter(step => step.phase !== 'CONTRACTING').length / steps.length) * 1000) / 10;

describe('zdm-tui on the embedded database', () => {
	it('--help lists the commands and keys', async () => {
		const result = await runCli(['--help']);
		expect(result.code).toBe(0);
		for (const word of ['run PLAN', 'start PLAN', 'complete ID', 'rollback ID', 'status', 'lint PATH…', '--database-url', '--fail-at', 'space/enter']) expect(result.stdout).toContain(word);
	});

	it('run --json: one JSON object per event, a summary last; exit 0 at COMPLETE', async () => {
		const result = await runCli(['run', 'samples/add-display-name.yaml', '--rows', '300', '--yes', '--json']);
		expect(result.code, result.stderr).toBe(0);
		const events = result.lines.map(line => JSON.parse(line) as {type: string});
		// One event per step of the plan (the summary lists them: add, sync, view, backfill, verify, …).
		const summary = lastJson(result) as {steps: unknown[]};
		expect(summary).toMatchObject({type: 'summary', id: 'MIG-001', phase: 'COMPLETE', progress: 100});
		expect(events.filter(event => event.type === 'step-executed')).toHaveLength(summary.steps.length);
		expect(events.some(event => event.type === 'batch')).toBe(true);
	});

	it('--fail-at N rolls back and exits 1', async () => {
		const result = await runCli(['run', 'samples/change-email-type.json', '--rows', '300', '--yes', '--json', '--fail-at', '4']);
		expect(result.code).toBe(1);
		const summary = lastJson(result);
		expect(summary).toMatchObject({phase: 'ROLLED_BACK', progress: 0});
		expect(summary.error).toMatch(/injected failure at step 4/);
	});

	it('refuses to change a database without a terminal unless --yes (exit 2, one line)', async () => {
		const result = await runCli(['run', 'samples/add-display-name.yaml', '--rows', '10']);
		expect(result.code).toBe(2);
		expectOneLineError(result.stderr, /^zdm-tui: refusing to run migration MIG-001 without a terminal to confirm it — pass --yes to confirm$/);
	});

	it.each([
		['a missing plan file', ['run', 'nope.yaml', '--yes'], /nope\.yaml: cannot read the plan file \(ENOENT\) — check the path/],
		['broken YAML', ['plan', planFile('broken.yaml', 'id: [unclosed\n')], /broken\.yaml: not valid YAML/],
		// The YAML parser warns about an unknown directive on stderr unless told not to: still one line.
		['a YAML directive it does not know', ['plan', planFile('directive.yaml', '%FOO bar x\n')], /directive\.yaml: not valid YAML/],
		['a wrong field type', ['plan', planFile('type.json', '{"id":"A","operations":[{"add_column":{"table":"users","column":{"name":"x","type":3}}}]}')], /type\.json: operations\[0\]\.add_column\.column\.type: .* — fix that field/],
		['an unknown operation', ['lint', planFile('unknown.yaml', 'id: A\noperations:\n  - explode: {}\n')], /unknown operation "explode" — use one of create_table, .*\badd_column\b/],
		['a column that exists', ['run', '--yes', planFile('exists.yaml', 'id: A\noperations:\n  - add_column: {table: users, column: {name: email, type: text, nullable: true}}\n')], /column "email" already exists in "users"/],
		['a bad number', ['run', 'samples/add-display-name.yaml', '--rows', 'lots', '--yes'], /--rows must be a whole number/],
		['too many backfill sessions', ['run', 'samples/add-display-name.yaml', '--backfill-workers', '40', '--yes', '--rows', '5'], /--backfill-workers must be a whole number from 1 to 16, got 40 — e\.g\. --backfill-workers 1/],
		['a batch time too short to fill anything', ['run', 'samples/add-display-name.yaml', '--batch-ms', '2', '--yes', '--rows', '5'], /--batch-ms must be a whole number from 5 to 60000, got 2 — e\.g\. --batch-ms 5/],
		['a fixed batch size and a batch time', ['run', 'samples/add-display-name.yaml', '--batch-ms', '50', '--batch-size', '100', '--yes', '--rows', '5'], /--batch-size and --batch-ms both given: a fixed size does not adapt to a time — choose one/],
		['a step past the end', ['run', 'samples/drop-email.yaml', '--fail-at', '9', '--yes', '--rows', '5'], /--fail-at 9 is past the plan's last step \(3\)/],
		['a missing argument', ['complete'], /zdm-tui complete needs a migration id/],
		['an unknown command', ['explode', 'now'], /unknown command "explode"/],
		['an up that is not one expression', ['run', '--yes', '--rows', '5', planFile('inject.yaml', 'id: A\noperations:\n  - add_column: {table: users, column: {name: x, type: text, nullable: true}, up: "1); DROP TABLE users; --"}\n')], /operations\[0\]\.add_column\.up: /],
	])('%s is bad input: exit 2, one line', async (_what, args, pattern) => {
		const result = await runCli(args);
		expect(result.code, result.stdout + result.stderr).toBe(2);
		expectOneLineError(result.stderr, pattern);
	});

	it('an unknown flag is bad input', async () => {
		const result = await runCli(['status', '--frobnicate']);
		expect(result.code).toBe(2);
		expect(result.stderr).toMatch(/Unknown flag/);
	});

	it('lint: exit 1 on an error, 0 when clean; --allow acknowledges; run refuses unless allowed', async () => {
		const unsafe = await runCli(['lint', 'samples/unsafe-contract-only.yaml', '--json', '--rows', '5']);
		expect(unsafe.code).toBe(1);
		expect(JSON.parse(unsafe.stdout).findings).toContainEqual(expect.objectContaining({rule: 'contract-without-expand', severity: 'error'}));
		expect((await runCli(['lint', 'samples/add-display-name.yaml', '--rows', '5'])).code).toBe(0);
		expect((await runCli(['lint', 'samples/unsafe-contract-only.yaml', '--allow', 'contract-without-expand', '--rows', '5'])).code).toBe(0);
		const refused = await runCli(['run', 'samples/unsafe-contract-only.yaml', '--yes', '--rows', '5']);
		expect(refused.code).toBe(2);
		// run prints the lint findings first, one line each, then the refusal in one line.
		const [finding, ...refusal] = refused.stderr.split('\n');
		expect(finding).toMatch(/^error {3}contract-without-expand \(operations\[0\]\): /);
		expectOneLineError(refusal.join('\n'), /^zdm-tui: .*lint contract-without-expand: contract without expand — data loss risk .*--allow contract-without-expand$/);
		expect((await runCli(['run', 'samples/unsafe-contract-only.yaml', '--yes', '--rows', '5', '--allow', 'contract-without-expand'])).code).toBe(0);
	});

	it('plan prints every step with forward and rollback SQL: a rename is a view alias, then one RENAME', async () => {
		const result = await runCli(['plan', 'samples/rename-email.yaml', '--rows', '5']);
		expect(result.code).toBe(0);
		expect(result.stdout).toContain('CREATE VIEW "public_MIG-002"."users" WITH (security_invoker = true) AS SELECT "id", "username", "email" AS "contact_email" FROM "public"."users";');
		expect(result.stdout).toContain('DROP SCHEMA IF EXISTS "public_MIG-002";');
		expect(result.stdout).toContain('ALTER TABLE "public"."users" RENAME COLUMN "email" TO "contact_email";');
		expect(result.stdout).toContain('ALTER TABLE "public"."users" RENAME COLUMN "contact_email" TO "email";');
		expect(result.stdout).not.toMatch(/ADD COLUMN|backfill|TRIGGER/i);
		expect(result.stdout.match(/rollback:/g)).toHaveLength(2);
	});

	it('plan shows the statements a backfill\'s and a verify\'s batches run, each labelled', async () => {
		const result = await runCli(['plan', 'samples/add-display-name.yaml', '--rows', '5']);
		expect(result.code).toBe(0);
		expect(result.stdout).toMatch(/-- the table's size in pages, and the files its rows are in\n\s+WITH RECURSIVE tree AS \(SELECT \$1::regclass::oid AS relid /);
		expect(result.stdout).toMatch(/-- each batch: fill the empty rows of a range of pages \(on the embedded database, with zdm.s sync triggers dropped and created again inside it\)\n\s+UPDATE "public"\."users" SET "display_name" = \(/);
		expect(result.stdout).toMatch(/-- each batch, in the same transaction: record it\n\s+INSERT INTO zdm\.backfill_batch /);
		expect(result.stdout).toMatch(/-- each batch: the rows of a range of pages, and the first that do not match\n\s+SELECT count\(\*\)::int AS rows/);
	});

	it('keeps state in --data-dir: start, status, complete across processes', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'zdm-data-'));
		const start = await runCli(['start', 'samples/change-email-type.json', '--data-dir', dir, '--rows', '200', '--yes', '--json']);
		expect(start.code, start.stderr).toBe(0);
		const started = lastJson(start) as {progress: number; steps: Array<{phase: string}>};
		expect(started).toMatchObject({phase: 'MIGRATING', progress: startedProgress(started.steps)});
		const status = await runCli(['status', '--json', '--data-dir', dir]);
		expect(JSON.parse(status.stdout).migrations).toEqual([expect.objectContaining({id: 'MIG-003', phase: 'MIGRATING', progress: started.progress, versionSchema: 'public_MIG-003'})]);
		const complete = await runCli(['complete', 'MIG-003', '--data-dir', dir, '--yes', '--json']);
		expect(lastJson(complete)).toMatchObject({phase: 'COMPLETE', progress: 100});
	});

	it('refuses to go on with a started migration from a changed plan file, changing nothing', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'zdm-data-'));
		const start = await runCli(['start', 'samples/change-email-type.json', '--data-dir', dir, '--rows', '50', '--yes', '--json']);
		const started = lastJson(start) as {progress: number; steps: Array<{phase: string}>};
		expect(started).toMatchObject({phase: 'MIGRATING', progress: startedProgress(started.steps)});
		const changed = planFile('changed.yaml', 'id: MIG-003\noperations:\n  - alter_column: {table: users, column: email, type: varchar(100)}\n');
		const run = await runCli(['run', changed, '--data-dir', dir, '--yes']);
		expect(run.code).toBe(2);
		expectOneLineError(run.stderr, /migration MIG-003 was started from a different plan file — roll it back first \(zdm-tui rollback MIG-003\)/);
		const status = await runCli(['status', '--json', '--data-dir', dir]);
		expect(JSON.parse(status.stdout).migrations).toEqual([expect.objectContaining({id: 'MIG-003', phase: 'MIGRATING', progress: started.progress})]);
	});
});

describe.skipIf(!serverUrl())('zdm-tui against a PostgreSQL server', () => {
	let url: string;
	let drop: () => Promise<void>;
	let db: Database;
	beforeAll(async () => {
		({url, drop} = await createServerDatabase());
		db = await openPostgres(url);
		await seedUsers(db, {rows: 2000});
	});
	afterAll(async () => {
		await db.close();
		await drop();
	});

	it('plan touches nothing', async () => {
		const before = await tableDefinition(db, 'users');
		const result = await runCli(['plan', 'samples/add-display-name.yaml', '--database-url', url]);
		expect(result.code).toBe(0);
		expect(await tableDefinition(db, 'users')).toBe(before);
		const {rows} = await db.query<{exists: boolean}>("SELECT to_regnamespace('zdm') IS NOT NULL AS exists");
		expect(rows[0]!.exists).toBe(false);
	});

	it('start, then rollback, leaves the table exactly as before', async () => {
		const before = [await tableDefinition(db, 'users'), await tableHash(db, 'users')];
		const start = await runCli(['start', 'samples/change-email-type.json', '--yes', '--json'], {DATABASE_URL: url});
		expect(lastJson(start)).toMatchObject({phase: 'MIGRATING'});
		const rollback = await runCli(['rollback', 'MIG-003', '--yes', '--json', '--database-url', url]);
		expect(rollback.code).toBe(0);
		expect(lastJson(rollback)).toMatchObject({phase: 'ROLLED_BACK', progress: 0});
		expect([await tableDefinition(db, 'users'), await tableHash(db, 'users')]).toEqual(before);
	});

	it('a second instance is refused at once with exit 3, naming who holds the database', async () => {
		await ensureStateSchema(db);
		const holder = await acquireHolder(db, 'MIG-777');
		try {
			const started = Date.now();
			const result = await runCli(['run', 'samples/add-display-name.yaml', '--yes', '--database-url', url]);
			expect(result.code).toBe(3);
			expect(Date.now() - started).toBeLessThan(15_000);
			expectOneLineError(result.stderr, new RegExp(`held by another zdm-tui running migration MIG-777 \\(pid ${process.pid} on `));
		} finally {
			await holder.release();
		}
	});

	it('run to COMPLETE, status shows it, a repeated run has nothing to do', async () => {
		const run = await runCli(['run', 'samples/add-display-name.yaml', '--yes', '--database-url', url]);
		expect(run.code, run.stderr).toBe(0);
		expect(run.lines.at(-1)).toBe('MIG-001: COMPLETE, 100 %');
		const status = await runCli(['status', '--database-url', url]);
		expect(status.stdout).toMatch(/MIG-001\s+COMPLETE\s+100 %/);
		const again = await runCli(['run', 'samples/add-display-name.yaml', '--yes', '--database-url', url]);
		expect(again.code).toBe(0);
		expect(again.stdout).toContain('already COMPLETE');
	});

	it('seed refuses an existing users table unless --force', async () => {
		const refused = await runCli(['seed', '--yes', '--database-url', url]);
		expect(refused.code).toBe(3);
		expectOneLineError(refused.stderr, /a table "users" already exists — pass --force/);
	});

	it('a bad URL is one line, exit 2, and never shows the password', async () => {
		const result = await runCli(['status', '--database-url', 'postgres://me:secret@127.0.0.1:1/x']);
		expect(result.code).toBe(2);
		expect(result.stderr).not.toContain('secret');
		expectOneLineError(result.stderr, /cannot connect to .* — check the URL/);
	});
});
