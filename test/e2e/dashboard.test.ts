import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {frameHeight, stepCount, TmuxSession} from './tmux.js';

const sessions: TmuxSession[] = [];
const open = (args: string, size?: {columns: number; rows: number}) => {
	const session = new TmuxSession(`CI=false node dist/cli.js ${args}`, size);
	sessions.push(session);
	return session;
};

afterEach(() => {
	for (const session of sessions.splice(0)) session.kill();
});

const count = (screen: string, mark: string) => screen.split(mark).length - 1;
/** Executed steps: the traffic panel's verdict has a ✔ of its own. */
const executedSteps = (screen: string) => screen.match(/✔ \d+\./g)?.length ?? 0;

describe('dashboard in a real terminal (tmux)', () => {
	it('steps the default sample to COMPLETE, one keypress at a time', async () => {
		// The verdict's wait bound is set wide: on a loaded 2-core CI machine WASM batches can take
		// seconds, and this test is about the keys and marks, not the latency.
		const tmux = open('--rows 2000 --wait-threshold 60000');
		let screen = await tmux.waitFor(text => text.includes('[PENDING]'));
		expect(screen).toContain('❯ · 1.');
		const steps = stepCount('samples/add-display-name.yaml');
		for (let executed = 1; executed <= steps; executed++) {
			tmux.keys('Space');
			screen = await tmux.waitFor(text => executedSteps(text) === executed && !/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \d\./.test(text));
		}

		// The phase changes a moment before its history entry is written: wait for both.
		screen = await tmux.waitFor(text => text.includes('[COMPLETE]') && text.includes('Migration finished successfully'));
		expect(screen).toContain('100 %');
		// v1 inserts rows as it goes: the backfill covers what was there when it started.
		expect(screen).toMatch(/(2,0\d\d)\/\1 rows/);
		// The simulated applications ran, and by default nobody retired v1: this sample's contract
		// keeps what v1 needs, so the verdict still holds.
		expect(screen).toMatch(/^ v2 new LIVE\s+[1-9]\d* req/m);
		expect(screen).toMatch(/^ v1 old LIVE\s+\d+ req\s+[\d.]+\/s\s+0 err/m);
		expect(screen).toContain('✔ zero downtime: no errors, longest wait under 60000 ms');
		expect(screen).toMatch(/COMPLETE\s+Migration finished successfully/);
		expect(screen).toMatch(/^1\s+alice\s+alice@example\.com\s+Alice/m);
		// Ink 6 clears the scrollback when its frame reaches the terminal's height.
		expect(frameHeight(screen)).toBeLessThan(30);
		tmux.keys('q');
		await tmux.waitFor(text => text.includes('EXIT=0'));
	});

	it('with a failure armed, rolls back to ROLLED_BACK and exits 1 on q, as run does', async () => {
		const tmux = open('--rows 2000', {columns: 80, rows: 24});
		await tmux.waitFor(text => text.includes('[PENDING]'));
		tmux.keys('Space', 'Space');
		await tmux.waitFor(text => count(text, '✔') === 2);
		tmux.keys('f');
		await tmux.waitFor(text => text.includes('[FAILURE ARMED]'));
		tmux.keys('Space');
		// 80×24 has no room for all the steps: the history lists both rollbacks.
		const screen = await tmux.waitFor(text => text.includes('[ROLLED_BACK]') && count(text, 'Rolled back:') === 2 && text.includes('Migration MIG-001 rolled back'));
		expect(screen).toContain('↺ 2.');
		expect(screen).toContain('✗ 3.');
		expect(screen).toMatch(/ROLLED_BACK\s+Migration MIG-001 rolled back/);
		expect(frameHeight(screen)).toBeLessThan(24);
		tmux.keys('?');
		expect(frameHeight(await tmux.waitFor(text => text.includes('keys (? closes)')))).toBeLessThan(24);
		tmux.keys('q');
		await tmux.waitFor(text => text.includes('EXIT=1'));
	});

	it('takes keys during a backfill: p pauses it, q stops it after its batch with exit 130', async () => {
		const tmux = open('--rows 50000 --batch-size 200');
		await tmux.waitFor(text => text.includes('[PENDING]'));
		tmux.keys('Space', 'Space', 'Space', 'Space');
		// v1 inserts a few rows before the backfill counts them: 50,002 and then some.
		await tmux.waitFor(text => /[\d,]+\/50,0\d\d rows/.test(text));
		tmux.keys('p');
		const paused = await tmux.waitFor(text => text.includes('backfill PAUSED'));
		const rowsAt = (screen: string) => /([\d,]+)\/50,0\d\d rows/.exec(screen)?.[1];
		const done = rowsAt(paused);
		expect(done).not.toMatch(/^50,0\d\d$/);
		// Paused means paused: a second later, not one more row.
		await new Promise(resolve => setTimeout(resolve, 1000));
		expect(rowsAt(tmux.screen())).toBe(done);
		tmux.keys('q');
		await tmux.waitFor(text => text.includes('EXIT=130'));
	});

	it('switches the table between v1\'s and v2\'s view with tab: the rename shows in v2\'s at once, in v1\'s at contract', async () => {
		const tmux = open('samples/rename-email.yaml --rows 2000 --wait-threshold 60000');
		let screen = await tmux.waitFor(text => text.includes('[PENDING]') && /^id\s+username\s+email\s+v1 sees public\.users/m.test(text));
		expect(screen.split('\n')[0]).toMatch(/\[PENDING\] v2 uses "public_MIG-002"/);
		tmux.keys('Tab');
		await tmux.waitFor(text => text.includes('v2\'s schema appears at the end of expand'));
		tmux.keys('Space');
		screen = await tmux.waitFor(text => executedSteps(text) === 1 && /^id\s+username\s+contact_email\s+v2 sees "public_MIG-002"\.users/m.test(text));
		tmux.keys('Tab');
		await tmux.waitFor(text => /^id\s+username\s+email\s+v1 sees public\.users/m.test(text));
		// Contract renames the column v1 uses: it goes first.
		tmux.keys('v');
		await tmux.waitFor(text => /^ v1 old RETIRED/m.test(text));
		tmux.keys('Space');
		screen = await tmux.waitFor(text => text.includes('[COMPLETE]') && /^id\s+username\s+contact_email\s+v1 sees public\.users/m.test(text));
		expect(screen).toContain('✔ zero downtime');
		expect(frameHeight(screen)).toBeLessThan(30);
		tmux.keys('q');
		await tmux.waitFor(text => text.includes('EXIT=0'));
	});

	it('refuses a database another zdm-tui holds with one line and exit 3', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'zdm-e2e-data-'));
		try {
			const first = open(`--data-dir ${dataDir} --rows 100`);
			await first.waitFor(text => text.includes('[PENDING]'));
			const second = open(`--data-dir ${dataDir} --rows 100`);
			const screen = await second.waitFor(text => text.includes('EXIT='));
			expect(screen).toContain('EXIT=3');
			expect(screen).toMatch(/^zdm-tui: the data directory .* is in use by another zdm-tui/m);
			// Nothing of the dashboard is left above the error.
			expect(screen.trimStart().startsWith('zdm-tui:')).toBe(true);
			first.keys('q');
			await first.waitFor(text => text.includes('EXIT=0'));
		} finally {
			rmSync(dataDir, {recursive: true, force: true});
		}
	});

	it('without a terminal, refuses before opening anything, with a hint to use run', () => {
		const result = spawnSync('node', ['dist/cli.js'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000});
		expect(result.status).toBe(2);
		expect(result.stderr.trim().split('\n')).toHaveLength(1);
		expect(result.stderr).toContain('zdm-tui run');
	});
});
