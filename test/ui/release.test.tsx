import {fileURLToPath} from 'node:url';
import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import type {CommandFlags} from '../../source/commands/options.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {App} from '../../source/ui/App.js';
import {waitForFrame} from './support.js';

/**
 * `zdm-tui DIR` (#11): the dashboard over a release, on samples/release and PGlite. Autoplay runs
 * the chain migration after migration under a heading each, stops where `migrate` leaves the last
 * (started), and space then goes on through its contract.
 */

const release = fileURLToPath(new URL('../../samples/release', import.meta.url));
const flags = (extra: Partial<CommandFlags> = {}): CommandFlags => ({json: false, yes: false, force: false, allow: [], autoplay: false, ...extra});

afterEach(() => cleanup());

async function demoDatabase(rows: number) {
	const db = await openPglite();
	await seedUsers(db, {rows});
	const kept: Database = {...db, close: async () => {}};
	return {db, open: async () => kept};
}

const chain = async (db: Database) => (await db.query<{id: string; phase: string; parent: string | null}>('SELECT id, phase, parent FROM zdm.migrations ORDER BY started_at, id')).rows;

describe('the dashboard over a release', () => {
	it('autoplays samples/release migration after migration, leaves the last started, and space completes it', async () => {
		const demo = await demoDatabase(300);
		const exits: Array<{code: number} | {error: unknown}> = [];
		// --traffic 0: nothing else writes, so the rows below are exactly the seeded ones.
		const app = render(<App planPath={release} flags={flags({traffic: 0, autoplay: true, speed: 10})} open={demo.open} onExit={result => exits.push(result)} />);
		const waitFor = async (accept: (frame: string) => boolean) => waitForFrame(app.lastFrame, accept, 60_000);
		let frame = await waitFor(text => /^── 01_add_nickname \(1\/3\)/m.test(text));
		expect(frame).toMatch(/^01_add_nickname \(1\/3\) Add nick.*\[PENDING\]/m);
		// Each migration that is not the last is completed before the next opens: its heading says so.
		frame = await waitFor(text => /^02_rename_email \(2\/3\) /m.test(text));
		expect(frame).toMatch(/^── 01_add_nickname \(1\/3\) COMPLETE/m);
		frame = await waitFor(text => /left started, as migrate leaves the last/.test(text) && !text.includes('[AUTOPLAY]'));
		expect(frame).toMatch(/^── 02_rename_email \(2\/3\) COMPLETE/m);
		expect(frame).toMatch(/^── 03_add_plan \(3\/3\) EXPANDING · left started/m);
		expect(frame).toMatch(/^03_add_plan \(3\/3\) .*v2 uses "public_03_add_plan"/m);
		expect(frame).toContain('03_add_plan is left started, as migrate leaves the last: applications move to "public_03_add_plan"');
		// The feed spans the release: the first migration's end is in it beside the last one's start.
		expect(app.frames.some(each => /COMPLETE\s+Migration finished successfully/.test(each) && /^── 02_rename_email/m.test(each))).toBe(true);
		expect(await chain(demo.db)).toEqual([
			{id: '01_add_nickname', phase: 'COMPLETE', parent: null},
			{id: '02_rename_email', phase: 'COMPLETE', parent: '01_add_nickname'},
			{id: '03_add_plan', phase: 'EXPANDING', parent: '02_rename_email'},
		]);
		const wrong = await demo.db.query<{n: number}>('SELECT count(*)::int AS n FROM users WHERE nickname IS DISTINCT FROM initcap(username)');
		expect(wrong.rows[0]!.n).toBe(0);
		const columns = await demo.db.query<{name: string}>("SELECT attname AS name FROM pg_attribute WHERE attrelid = 'public.users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum");
		expect(columns.rows.map(row => row.name)).toEqual(['id', 'username', 'contact_email', 'nickname', 'plan']);
		// The person steps on through the last one's contract.
		app.stdin.write('   ');
		frame = await waitFor(text => text.includes('[COMPLETE]') && /^── 03_add_plan \(3\/3\) COMPLETE/m.test(text));
		expect((await chain(demo.db)).map(row => row.phase)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE']);
		await expect(demo.db.query("INSERT INTO users (username, plan) VALUES ('carol', ' ')")).rejects.toThrow(/users_plan_not_blank/);
		app.stdin.write('q');
		await waitForFrame(() => String(exits.length), text => text === '1');
		expect(exits[0]).toEqual({code: 0});
		await demo.db.close();
	});
	it('with the simulated applications and --complete, autoplay runs the whole release to COMPLETE: v1 moves on to the schema each migration leaves', async () => {
		const demo = await demoDatabase(300);
		const exits: Array<{code: number} | {error: unknown}> = [];
		const app = render(<App planPath={release} flags={flags({autoplay: true, speed: 10, complete: true, batchSize: 50})} open={demo.open} onExit={result => exits.push(result)} />);
		const waitFor = async (accept: (frame: string) => boolean) => waitForFrame(app.lastFrame, accept, 60_000);
		await waitFor(text => /^02_rename_email \(2\/3\) /m.test(text));
		// As after a deploy: the old version is the one that ran on the first migration's version schema.
		await waitFor(text => /v1 sees public_01_add_nickname\.users/.test(text) && /^ v1 old LIVE/m.test(text));
		const frame = await waitFor(text => /^03_add_plan \(3\/3\) .*\[COMPLETE\]/m.test(text) && !text.includes('[AUTOPLAY]'));
		expect(frame).not.toMatch(/failed|ROLLED_BACK/);
		// Each migration's traffic is judged apart: the last one's, from its open to COMPLETE, lost nothing.
		expect(frame).toContain('✔ zero downtime: no errors');
		expect((await chain(demo.db)).map(row => [row.id, row.phase, row.parent])).toEqual([
			['01_add_nickname', 'COMPLETE', null],
			['02_rename_email', 'COMPLETE', '01_add_nickname'],
			['03_add_plan', 'COMPLETE', '02_rename_email'],
		]);
		app.stdin.write('q');
		await waitForFrame(() => String(exits.length), text => text === '1');
		expect(exits[0]).toEqual({code: 0});
		await demo.db.close();
	});
});
