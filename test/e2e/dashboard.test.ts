import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {frameHeight, TmuxSession} from './tmux.js';

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

describe('dashboard in a real terminal (tmux)', () => {
	it('steps the default sample to COMPLETE, one keypress at a time', async () => {
		const tmux = open('--rows 2000');
		let screen = await tmux.waitFor(text => text.includes('[PENDING]'));
		expect(screen).toContain('❯ · 1.');
		for (let executed = 1; executed <= 6; executed++) {
			tmux.keys('Space');
			screen = await tmux.waitFor(text => count(text, '✔') === executed && !/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \d\./.test(text));
		}

		// The phase changes a moment before its history entry is written: wait for both.
		screen = await tmux.waitFor(text => text.includes('[COMPLETE]') && text.includes('Migration finished successfully'));
		expect(screen).toContain('100 %');
		expect(screen).toContain('2,002/2,002 rows');
		expect(screen).toMatch(/COMPLETE\s+Migration finished successfully/);
		expect(screen).toMatch(/^1\s+alice\s+alice@example\.com\s+Alice/m);
		// Ink 6 clears the scrollback when its frame reaches the terminal's height.
		expect(frameHeight(screen)).toBeLessThan(30);
		tmux.keys('q');
		await tmux.waitFor(text => text.includes('EXIT=0'));
	});

	it('with a failure armed, rolls back to ROLLED_BACK and exits cleanly on q', async () => {
		const tmux = open('--rows 2000', {columns: 80, rows: 24});
		await tmux.waitFor(text => text.includes('[PENDING]'));
		tmux.keys('Space', 'Space');
		await tmux.waitFor(text => count(text, '✔') === 2);
		tmux.keys('f');
		await tmux.waitFor(text => text.includes('[FAILURE ARMED]'));
		tmux.keys('Space');
		const screen = await tmux.waitFor(text => text.includes('[ROLLED_BACK]') && count(text, '↺') === 2 && text.includes('Migration MIG-001 rolled back'));
		expect(screen).toContain('✗ 3.');
		expect(screen).toMatch(/ROLLED_BACK\s+Migration MIG-001 rolled back/);
		expect(frameHeight(screen)).toBeLessThan(24);
		tmux.keys('?');
		await tmux.waitFor(text => text.includes('keys (? closes)'));
		tmux.keys('q');
		await tmux.waitFor(text => text.includes('EXIT=0'));
	});

	it('takes keys during a backfill: p pauses it, q stops it after its batch with exit 130', async () => {
		const tmux = open('--rows 50000 --batch-size 200');
		await tmux.waitFor(text => text.includes('[PENDING]'));
		tmux.keys('Space', 'Space', 'Space');
		await tmux.waitFor(text => /[\d,]+\/50,002 rows/.test(text));
		tmux.keys('p');
		const paused = await tmux.waitFor(text => text.includes('backfill PAUSED'));
		const rowsAt = (screen: string) => /([\d,]+)\/50,002 rows/.exec(screen)?.[1];
		const done = rowsAt(paused);
		expect(done).not.toBe('50,002');
		// Paused means paused: a second later, not one more row.
		await new Promise(resolve => setTimeout(resolve, 1000));
		expect(rowsAt(tmux.screen())).toBe(done);
		tmux.keys('q');
		await tmux.waitFor(text => text.includes('EXIT=130'));
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
