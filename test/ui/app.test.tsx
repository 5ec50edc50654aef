import {fileURLToPath} from 'node:url';
import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import type {CommandFlags} from '../../source/commands/options.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {loadBackfillBatches, loadMigration} from '../../source/db/state.js';
import {App} from '../../source/ui/App.js';
import {waitForFrame} from './support.js';

const sample = fileURLToPath(new URL('../../samples/add-display-name.yaml', import.meta.url));
const flags = (extra: Partial<CommandFlags> = {}): CommandFlags => ({json: false, yes: false, force: false, allow: [], autoplay: false, ...extra});

afterEach(() => cleanup());

/** A seeded PGlite the test keeps: the app's close() leaves it open so the test can look inside. */
async function demoDatabase(rows: number) {
	const db = await openPglite();
	await seedUsers(db, {rows});
	let closes = 0;
	let opens = 0;
	const kept: Database = {...db, close: async () => void closes++};
	return {
		db,
		open: async () => {
			opens++;
			return kept;
		},
		closes: () => closes,
		opens: () => opens,
	};
}

function start(open: () => Promise<Database>, extra: Partial<CommandFlags> = {}, planPath = sample) {
	const exits: Array<{code: number} | {error: unknown}> = [];
	const app = render(<App planPath={planPath} flags={flags(extra)} open={open} onExit={result => exits.push(result)} />);
	return {...app, exits, waitFor: (accept: (frame: string) => boolean) => waitForFrame(app.lastFrame, accept)};
}

const count = (frame: string, mark: string) => frame.split(mark).length - 1;

describe('dashboard app', () => {
	it('shows a spinner first, then steps the sample to COMPLETE one keypress at a time', async () => {
		const demo = await demoDatabase(300);
		// --traffic 0: no simulated application, so the row counts below are exactly the seeded ones.
		const app = start(demo.open, {traffic: 0});
		expect(app.frames[0]).toMatch(/Starting|Planning/);
		let frame = await app.waitFor(text => text.includes('[PENDING]'));
		expect(frame).toContain('❯ · 1.');
		expect(frame).toMatch(/^id\s+username\s+email/m);
		app.stdin.write(' ');
		frame = await app.waitFor(text => text.includes('✔ 1.') && /display_name/.test(text.split('\n').find(line => /^id\s/.test(line)) ?? ''));
		expect(frame).toContain('[EXPANDING]');
		// Pressed faster than the steps run: queued, one at a time, none lost.
		for (let index = 0; index < 7; index++) app.stdin.write(' ');
		// The phase changes a moment before its history entry is written: wait for both. The steps panel shows the 7 of 8 that fit.
		frame = await app.waitFor(text => text.includes('[COMPLETE]') && count(text, '✔') === 7 && text.includes('Migration finished successfully'));
		expect(frame).toContain('100 %');
		expect(frame).toContain('302/302 rows');
		expect(frame).toMatch(/COMPLETE\s+Migration finished successfully/);
		expect(frame).toMatch(/^1\s+alice\s+alice@example\.com\s+Alice/m);
		expect(frame).not.toMatch(/already running|failed/);
		expect(frame.split('\n').length).toBeLessThan(24);
		expect(frame).not.toMatch(/^traffic|v1 old/m);
		expect((await loadMigration(demo.db, 'MIG-001'))?.phase).toBe('COMPLETE');
		app.stdin.write('q');
		await waitForFrame(() => String(app.exits.length), text => text === '1');
		expect(app.exits[0]).toEqual({code: 0});
		expect(demo.closes()).toBe(1);
		expect(app.lastFrame()).toContain('[COMPLETE]');
		await demo.db.close();
	});

	it('shows the table as v1 and as v2 see it (tab): a rename is visible to v2 after one keypress, and contract only moves the physical name', async () => {
		const demo = await demoDatabase(300);
		const app = start(demo.open, {traffic: 0}, fileURLToPath(new URL('../../samples/rename-email.yaml', import.meta.url)));
		let frame = await app.waitFor(text => text.includes('[PENDING]') && /^id\s+username\s+email\s+v1 sees public\.users/m.test(text));
		expect(frame).toMatch(/\[PENDING\] v2 uses "public_MIG-002"/);
		app.stdin.write('\t');
		frame = await app.waitFor(text => text.includes('v2 sees "public_MIG-002".users: v2\'s schema appears at the end of expand'));
		// One keypress: the version schema's view, with the new name, over the unchanged table.
		app.stdin.write(' ');
		frame = await app.waitFor(text => text.includes('✔ 1.') && /^id\s+username\s+contact_email\s+v2 sees "public_MIG-002"\.users/m.test(text));
		expect(frame).toMatch(/^1\s+alice\s+alice@example\.com/m);
		expect(frame).toContain('❯ · 2.');
		app.stdin.write('\t');
		await app.waitFor(text => /^id\s+username\s+email\s+v1 sees public\.users/m.test(text));
		// Contract renames the physical column: v1's schema (the table) has the new name now; v2 sees no change.
		app.stdin.write(' ');
		frame = await app.waitFor(text => text.includes('[COMPLETE]') && /^id\s+username\s+contact_email\s+v1 sees public\.users/m.test(text));
		app.stdin.write('\t');
		frame = await app.waitFor(text => /^id\s+username\s+contact_email\s+v2 sees "public_MIG-002"\.users/m.test(text));
		expect(frame).toMatch(/^1\s+alice\s+alice@example\.com/m);
		expect(count(frame, '✔')).toBe(2);
		app.stdin.write('q');
		await waitForFrame(() => String(app.exits.length), text => text === '1');
		expect(app.exits[0]).toEqual({code: 0});
		await demo.db.close();
	});

	it('with a failure armed (f), rolls every executed step back and ends ROLLED_BACK', async () => {
		const demo = await demoDatabase(300);
		const app = start(demo.open);
		await app.waitFor(text => text.includes('[PENDING]'));
		// Expand (column, trigger, version schema) and the backfill: the failure comes at contract.
		app.stdin.write('    ');
		await app.waitFor(text => text.includes('✔ 4.'));
		app.stdin.write('f');
		await app.waitFor(text => text.includes('[FAILURE ARMED]'));
		app.stdin.write('s');
		await app.waitFor(text => text.includes('step 5 rollback SQL'));
		// Keys queued behind the failing step are dropped, not used to start the migration again.
		app.stdin.write('   ');
		const frame = await app.waitFor(text => text.includes('[ROLLED_BACK]') && text.includes('✗ 5.') && text.includes('Migration MIG-001 rolled back'));
		// The steps panel shows the steps that fit: the stored state has them all.
		expect((await loadMigration(demo.db, 'MIG-001'))?.steps.map(step => step.status)).toEqual(['rolled_back', 'rolled_back', 'rolled_back', 'rolled_back', 'failed', 'pending', 'pending', 'pending']);
		expect(frame).toContain('0 %');
		// The backfill's bar tells how far it got, and that the rollback undid it: not a live figure.
		expect(frame).toMatch(/^backfill \S+ stopped at [1-9][\d,]*\/[\d,]+ rows, undone by the rollback · batch/m);
		expect(frame).toMatch(/ROLLED_BACK\s+Migration MIG-001 rolled back/);
		// The column added at expand is gone again.
		expect(frame).toMatch(/^id\s+username\s+email\s+v1 sees public\.users/m);
		expect((await demo.db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'public_MIG-001'")).rows).toHaveLength(0);
		expect((await loadMigration(demo.db, 'MIG-001'))?.phase).toBe('ROLLED_BACK');
		await new Promise(resolve => setTimeout(resolve, 300));
		expect(app.lastFrame()).toContain('[ROLLED_BACK]');
		app.stdin.write('q');
		await waitForFrame(() => String(app.exits.length), text => text === '1');
		// As `zdm-tui run`: a migration that failed and rolled back ends with exit 1.
		expect(app.exits[0]).toEqual({code: 1});
		await demo.db.close();
	});

	it('quits in the middle of a backfill with its cursor saved, and the next start resumes it', async () => {
		const demo = await demoDatabase(20_000);
		// --traffic 0: the row counts below are exact.
		const first = start(demo.open, {batchSize: 100, traffic: 0});
		await first.waitFor(text => text.includes('[PENDING]'));
		first.stdin.write('   ');
		await first.waitFor(text => text.includes('❯ · 4.'));
		first.stdin.write(' ');
		// Quit once batches commit: the batch in hand finishes, and the cursor says how far it got.
		const shown = await first.waitFor(text => /[1-9][\d,]*\/[\d,]+ rows/.test(text));
		first.stdin.write('q');
		await waitForFrame(() => String(first.exits.length), text => text === '1');
		expect(first.exits[0]).toEqual({code: 130});
		const saved = (await loadBackfillBatches(demo.db, 'MIG-001', 4)).reduce((sum, batch) => sum + batch.rows, 0);
		expect(saved).toBeGreaterThanOrEqual(Number(/([\d,]+)\/[\d,]+ rows/.exec(shown)![1]!.replaceAll(',', '')));
		// What the batches recorded is exactly what was filled: the batch in hand committed with its record.
		const {rows: filled} = await demo.db.query<{n: number}>('SELECT count(*)::int AS n FROM users WHERE display_name IS NOT NULL');
		expect(saved).toBe(filled[0]!.n);
		expect(saved).toBeLessThan(20_002);
		first.unmount();

		const second = start(demo.open, {batchSize: 5000, traffic: 0});
		let frame = await second.waitFor(text => text.includes('[MIGRATING]'));
		expect(frame).toContain('❯ · 4. [interrupted, space resumes] Backfill');
		second.stdin.write(' ');
		frame = await second.waitFor(text => text.includes('✔ 4.'));
		expect(frame).toContain('20,002/20,002 rows');
		const {rows} = await demo.db.query<{missing: number}>('SELECT count(*)::int AS missing FROM users WHERE display_name IS NULL');
		expect(rows[0]!.missing).toBe(0);
		second.stdin.write('q');
		await waitForFrame(() => String(second.exits.length), text => text === '1');
		await demo.db.close();
	});

	it('autoplays to COMPLETE with --autoplay, and stops autoplay there', async () => {
		const demo = await demoDatabase(200);
		const app = start(demo.open, {autoplay: true, speed: 10});
		const frame = await app.waitFor(text => text.includes('[COMPLETE]') && text.includes('Migration finished successfully'));
		expect(frame).toContain('(8/8 steps)');
		await app.waitFor(text => !text.includes('[AUTOPLAY]'));
		app.stdin.write('q');
		await waitForFrame(() => String(app.exits.length), text => text === '1');
		await demo.db.close();
	});

	it('rolls back on r, newest step first, and halves / doubles the batch size on - / +', async () => {
		const demo = await demoDatabase(200);
		const app = start(demo.open);
		await app.waitFor(text => text.includes('[PENDING]'));
		app.stdin.write('-');
		await app.waitFor(text => text.includes('batch 500 fixed'));
		app.stdin.write('+');
		app.stdin.write('+');
		await app.waitFor(text => text.includes('batch 2,000 fixed'));
		app.stdin.write('  ');
		await app.waitFor(text => count(text, '✔') === 2);
		app.stdin.write('r');
		const frame = await app.waitFor(text => text.includes('[ROLLED_BACK]') && text.includes('Migration MIG-001 rolled back'));
		expect(count(frame, '↺')).toBe(2);
		const history = frame.split('\n').filter(line => /ROLLBACK\s+Rolled back:/.test(line));
		expect(history[0]).toContain('Fill "display_name"');
		expect(history[1]).toContain('Add column "display_name"');
		// Space after a rollback starts afresh and runs step 1, with the batch size set by hand kept.
		app.stdin.write(' ');
		const again = await app.waitFor(text => text.includes('[EXPANDING]') && count(text, '✔') === 1);
		expect(again).toContain('batch 2,000 fixed');
		app.stdin.write('q');
		await waitForFrame(() => String(app.exits.length), text => text === '1');
		// A rollback asked for with r is not a failure: exit 0.
		expect(app.exits[0]).toEqual({code: 0});
		await demo.db.close();
	});

	it('shows lint findings first and refuses to step a plan with a lint error, as run does', async () => {
		const demo = await demoDatabase(50);
		const app = start(demo.open, {}, fileURLToPath(new URL('../../samples/unsafe-raw-sql.yaml', import.meta.url)));
		let frame = await app.waitFor(text => text.includes('[PENDING]'));
		expect(frame).toMatch(/✗ error \S+:/);
		app.stdin.write(' ');
		frame = await app.waitFor(text => /lint \S+ refuses this plan/.test(text));
		expect(frame).toContain('[PENDING]');
		expect(frame).toContain('--allow');
		const {rows} = await demo.db.query<{n: number}>("SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname IN ('seq', 'meta', 'token')");
		expect(rows[0]!.n).toBe(0);
		app.stdin.write('q');
		await waitForFrame(() => String(app.exits.length), text => text === '1');
		await demo.db.close();
	});

	it('refuses a plan file that does not exist before it opens the database', async () => {
		const demo = await demoDatabase(10);
		const exits: Array<{code: number} | {error: unknown}> = [];
		render(<App planPath="/nonexistent/plan.yaml" flags={flags()} open={demo.open} onExit={result => exits.push(result)} />);
		await waitForFrame(() => String(exits.length), text => text === '1');
		expect('error' in exits[0]! && String(exits[0].error)).toMatch(/plan\.yaml/);
		expect(demo.opens()).toBe(0);
		await demo.db.close();
	});

	it('keeps the frame shorter than the terminal when it shrinks', async () => {
		const demo = await demoDatabase(50);
		const app = start(demo.open);
		await app.waitFor(text => text.includes('[PENDING]'));
		Object.defineProperty(app.stdout, 'rows', {value: 14, configurable: true});
		app.stdout.emit('resize');
		const frame = await app.waitFor(text => text.split('\n').length < 14);
		expect(frame).toContain('[PENDING]');
		expect(frame).toContain('❯ · 1.');
		app.stdin.write('q');
		await waitForFrame(() => String(app.exits.length), text => text === '1');
		await demo.db.close();
	});
});
