import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Database} from '../../source/db/database.js';
import {openPostgres} from '../../source/db/postgres.js';
import {lastJson, runCli} from '../support/cli.js';
import {serverUrl} from '../support/databases.js';
import {createShop, shopPlan, targetSnapshot, type Shop} from '../support/shop.js';

const scratch = mkdtempSync(join(tmpdir(), 'zdm-rehearse-'));
const planPath = join(scratch, 'shop-plan.json');
writeFileSync(planPath, JSON.stringify(shopPlan));
// A directory of migrations: the shop plan split in two, each file named by its id.
const chainDir = mkdtempSync(join(tmpdir(), 'zdm-rehearse-chain-'));
writeFileSync(join(chainDir, '01_total_cents.json'), JSON.stringify({operations: [shopPlan.operations[0]]}));
writeFileSync(join(chainDir, '02_bounded_note.json'), JSON.stringify({operations: [shopPlan.operations[1]]}));

/** Exactly one line on stderr (so no stack trace), matching the pattern. */
function expectOneLineError(stderr: string, pattern: RegExp) {
	const lines = stderr.replace(/\n$/, '').split('\n');
	expect(lines, stderr).toHaveLength(1);
	expect(lines[0]).toMatch(pattern);
}

describe('zdm-tui rehearse: bad input', () => {
	it.each([
		['no --from', ['rehearse', planPath], /^zdm-tui: rehearse needs the database to copy: --from DATABASE_URL — e\.g\. /],
		['no plan', ['rehearse', '--from', 'postgres://x@127.0.0.1/app'], /^zdm-tui: zdm-tui rehearse needs a plan file/],
		['a URL that is not PostgreSQL', ['rehearse', planPath, '--from', 'mysql://x/app'], /^zdm-tui: --from needs a PostgreSQL URL \(postgres:\/\/…\), got "mysql:\/\/x\/app"/],
		['both --rows and --copy-rows', ['rehearse', planPath, '--from', 'postgres://x@127.0.0.1/app', '--rows', '10', '--copy-rows', '10'], /^zdm-tui: --rows generates rows and --copy-rows copies real ones: choose one — drop one of them$/],
		['--database-url beside it', ['rehearse', planPath, '--from', 'postgres://x@127.0.0.1/app', '--database-url', 'postgres://y@127.0.0.1/app'], /^zdm-tui: --from rehearses on a throwaway copy; --database-url and --data-dir choose another database/],
		['--from with another command', ['run', planPath, '--yes', '--from', 'postgres://x@127.0.0.1/app'], /^zdm-tui: --from, --rehearse-from and --copy-rows go with rehearse, not run — /],
		['the dashboard’s --rehearse-from', ['rehearse', planPath, '--rehearse-from', 'postgres://x@127.0.0.1/app'], /^zdm-tui: rehearse takes --from URL; --rehearse-from is the dashboard’s — use --from URL$/],
		['--copy-rows 0', ['rehearse', planPath, '--from', 'postgres://x@127.0.0.1/app', '--copy-rows', '0'], /^zdm-tui: --copy-rows must be a whole number from 1 to 10000000, got 0/],
	])('%s: exit 2, one line', async (_name, args, pattern) => {
		const result = await runCli(args);
		expect(result.code).toBe(2);
		expectOneLineError(result.stderr, pattern);
		expect(result.stdout).toBe('');
	});
});

describe.skipIf(!serverUrl())('zdm-tui rehearse on a copy of a server schema', () => {
	let shop: Shop;
	let target: Database;
	beforeAll(async () => {
		shop = await createShop();
		target = await openPostgres(shop.url);
	});
	afterAll(async () => {
		await target?.close();
		await shop?.drop();
	});

	it('--json: runs the plan to COMPLETE on the copy, times every step, and leaves the target as it was', async () => {
		const before = await targetSnapshot(shop.url, target);
		// As a role that can write nothing: a single write to the target would fail the rehearsal.
		const result = await runCli(['rehearse', planPath, '--from', shop.readerUrl, '--rows', '1500', '--json']);
		expect(result.code, result.stderr).toBe(0);
		const first = JSON.parse(result.lines[0]!) as {type: string; rows: unknown; skipped: unknown[]};
		expect(first).toMatchObject({type: 'rehearsal', rows: {mode: 'generated', perTable: 1500}, skipped: [{object: 'extension pgstattuple'}]});
		const summary = lastJson(result) as {type: string; phase: string; rehearsal: {timings: Array<{number: number; grows: boolean; copyRows?: number; productionRows?: number; estimateMs?: number}>}};
		expect(summary).toMatchObject({type: 'summary', id: 'SHOP-001', phase: 'COMPLETE', progress: 100});
		const steps = result.lines.map(line => JSON.parse(line) as {type: string}).filter(event => event.type === 'step-executed');
		expect(summary.rehearsal.timings).toHaveLength(steps.length);
		// Two backfills of orders: 1,500 rows in the copy, 2,000 on the target.
		const backfills = summary.rehearsal.timings.filter(timing => timing.grows && timing.copyRows === 1500);
		expect(backfills.length).toBeGreaterThanOrEqual(2);
		for (const timing of backfills) expect(timing).toMatchObject({productionRows: 2000, estimateMs: expect.any(Number) as number});
		expect(await targetSnapshot(shop.url, target)).toEqual(before);
	});

	it('text: says what was copied and skipped, and extrapolates the backfill with its caveat', async () => {
		const result = await runCli(['rehearse', planPath, '--from', shop.readerUrl, '--rows', '800']);
		expect(result.code, result.stderr).toBe(0);
		expect(result.stderr).toBe('');
		expect(result.lines[0]).toMatch(/^rehearse .*shop-plan\.json on a throwaway embedded copy of 127\.0\.0\.1:\d+\/zdm_test_\w+, generated rows$/);
		expect(result.stdout).toMatch(/^source: 127\.0\.0\.1:\d+\/zdm_test_\w+ \(PostgreSQL \d+\.\d+\), read with pg_dump \d+\.\d+ in a read-only transaction$/m);
		expect(result.stdout).toMatch(/^rows: generated; none left the target \(up to 800 a table, no more than it has\)$/m);
		expect(result.stdout).toMatch(/^ {2}public\.orders\s+800 rows {2}\(target ≈ 2,000\)$/m);
		expect(result.stdout).toContain('not copied: extension pgstattuple — extension "pgstattuple" is not available');
		expect(result.stdout).toMatch(/^SHOP-001: COMPLETE, 100 %$/m);
		expect(result.stdout).toMatch(/Backfill "total_cents".*≈ .+ at 2,000 rows \(linear from 800 rows\)$/m);
		expect(result.stdout).toMatch(/^caveat: measured on the embedded database/m);
	});

	it('a directory: runs its pending chain to COMPLETE on the copy, times each migration under its own heading, and leaves the target as it was', async () => {
		const before = await targetSnapshot(shop.url, target);
		const result = await runCli(['rehearse', chainDir, '--from', shop.readerUrl, '--rows', '600']);
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout).toMatch(/^01_total_cents: COMPLETE, 100 %$/m);
		expect(result.stdout).toMatch(/^02_bounded_note: COMPLETE, 100 %$/m);
		const timings = result.stdout.slice(result.stdout.indexOf('timings on the copy'));
		expect(timings).toMatch(/^ {2}01_total_cents\n(?: +\d+\. .*\n)+ {2}02_bounded_note\n/m);
		expect(timings).toMatch(/Backfill "total_cents".*≈ .+ at 2,000 rows \(linear from 600 rows\)$/m);
		expect(await targetSnapshot(shop.url, target)).toEqual(before);
	});

	it('continues a migration started on the target, as the target would, and leaves it started there', async () => {
		const started = await runCli(['start', planPath, '--database-url', shop.url, '--yes', '--json']);
		expect(lastJson(started), started.stderr).toMatchObject({phase: 'MIGRATING'});
		try {
			const before = await targetSnapshot(shop.url, target);
			const result = await runCli(['rehearse', planPath, '--from', shop.readerUrl, '--rows', '500', '--json']);
			expect(result.code, result.stderr).toBe(0);
			expect(JSON.parse(result.lines[0]!)).toMatchObject({state: true});
			const events = result.lines.map(line => JSON.parse(line) as {type: string; step?: {phase: string}});
			// Only the contract ran in the copy: expand and migrate were done on the target.
			const summary = lastJson(result) as {steps: Array<{phase: string}>};
			expect(summary).toMatchObject({phase: 'COMPLETE'});
			const contract = summary.steps.filter(step => step.phase === 'CONTRACTING');
			expect(contract.length).toBeGreaterThan(0);
			expect(events.filter(event => event.type === 'step-executed').map(event => event.step!.phase)).toEqual(contract.map(() => 'CONTRACTING'));
			expect(await targetSnapshot(shop.url, target)).toEqual(before);
			const {rows} = await target.query<{phase: string}>("SELECT phase FROM zdm.migrations WHERE id = 'SHOP-001'");
			expect(rows).toEqual([{phase: 'MIGRATING'}]);
		} finally {
			const rolledBack = await runCli(['rollback', 'SHOP-001', '--database-url', shop.url, '--yes']);
			expect(rolledBack.code, rolledBack.stderr).toBe(0);
		}
	});

	it('refuses, in one line, to rehearse without an object the copy cannot hold on a table the plan changes', async () => {
		// pg_relpages comes from pgstattuple, which PGlite lacks: the trigger cannot be made in the copy.
		await target.query("CREATE TRIGGER orders_watch BEFORE UPDATE ON orders FOR EACH ROW WHEN (public.pg_relpages('orders') > 0) EXECUTE FUNCTION touch_updated_at()");
		try {
			const result = await runCli(['rehearse', planPath, '--from', shop.readerUrl, '--rows', '100']);
			expect(result.code).toBe(2);
			expectOneLineError(result.stderr, /^zdm-tui: the embedded copy cannot hold trigger public\.orders orders_watch \(function public\.pg_relpages\(text\) does not exist\), and the plan changes public\.orders: a rehearsal without it would mislead — /);
		} finally {
			await target.query('DROP TRIGGER orders_watch ON orders');
		}
	});
});
