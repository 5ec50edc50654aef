import {execFileSync} from 'node:child_process';
import {afterEach, describe, expect, it} from 'vitest';
import {frameHeight, stepCount, TmuxSession} from './tmux.js';

const sessions: TmuxSession[] = [];
afterEach(() => {
	for (const session of sessions.splice(0)) session.kill();
});

const resize = (session: TmuxSession, columns: number, rows: number) => execFileSync('tmux', ['resize-window', '-t', session.name, '-x', String(columns), '-y', String(rows)]);
const count = (screen: string, mark: string) => screen.split(mark).length - 1;

/** A frame is whole when it starts with the header, fits the terminal and is not cut mid-panel. */
function expectWholeFrame(screen: string, columns: number, rows: number) {
	expect(screen.split('\n')[0]).toMatch(/^MIG-001 /);
	expect(frameHeight(screen)).toBeLessThan(rows);
	for (const line of screen.split('\n')) expect([...line].length).toBeLessThanOrEqual(columns);
}

describe('terminal misuse (tmux)', () => {
	it('survives a resize to 20×10 and back, and keys held down, with a whole frame after the next render', async () => {
		const tmux = new TmuxSession('CI=false node dist/cli.js --rows 3000 --traffic 0', {columns: 100, rows: 30});
		sessions.push(tmux);
		await tmux.waitFor(text => text.includes('[PENDING]'));
		resize(tmux, 20, 10);
		// Tiny: whatever fits, but the program must still be alive and answering.
		await tmux.waitFor(text => text.trim().length > 0 && !text.includes('EXIT='));
		tmux.keys('Space');
		await new Promise(resolve => setTimeout(resolve, 500));
		resize(tmux, 100, 30);
		let screen = await tmux.waitFor(text => text.includes('✔ 1.') && text.split('\n')[0]!.startsWith('MIG-001'));
		expectWholeFrame(screen, 100, 30);
		// Keys held down: a burst of every key the dashboard knows, and some it does not.
		const burst = ['s', 's', 'Down', 'Down', 'PageDown', 'Up', 'PageUp', '+', '+', '-', 'x', 'z', '?', '?', 'a', 'a'];
		for (let round = 0; round < 10; round++) tmux.keys(...burst);
		for (let held = 0; held < 40; held++) tmux.keys('Space');
		screen = await tmux.waitFor(text => text.includes('[COMPLETE]') && text.includes('Migration finished successfully'), 60_000);
		// Every step of the default sample executed, and nothing else marked.
		expect(count(screen, '✔')).toBe(stepCount('samples/add-display-name.yaml'));
		expect(screen).not.toMatch(/already running|Error|failed/);
		expectWholeFrame(screen, 100, 30);
		tmux.keys('q');
		await tmux.waitFor(text => text.includes('EXIT=0'));
	});

	it('a shrink and a grow that reach it as one signal (it was busy) still leave a whole frame at the top', async () => {
		// Lines in the scrollback: a terminal that grows pulls them back above the frame.
		const tmux = new TmuxSession('seq 1 200; CI=false node dist/cli.js --rows 3000 --traffic 0', {columns: 100, rows: 30});
		sessions.push(tmux);
		await tmux.waitFor(text => text.includes('[PENDING]'));
		const pane = execFileSync('tmux', ['display-message', '-p', '-t', tmux.name, '#{pane_pid}'], {encoding: 'utf8'}).trim();
		const dashboard = Number(execFileSync('pgrep', ['-P', pane], {encoding: 'utf8'}).trim().split('\n')[0]);
		// Stopped, as a process is whose event loop a long statement holds: both resizes queue as one SIGWINCH.
		process.kill(dashboard, 'SIGSTOP');
		try {
			resize(tmux, 20, 10);
			await new Promise(resolve => setTimeout(resolve, 300));
			resize(tmux, 100, 30);
			await new Promise(resolve => setTimeout(resolve, 300));
		} finally {
			process.kill(dashboard, 'SIGCONT');
		}

		const screen = await tmux.waitFor(text => text.split('\n')[0]!.startsWith('MIG-001') && text.includes('[PENDING]'), 10_000);
		expectWholeFrame(screen, 100, 30);
		expect(screen).not.toMatch(/^(19\d|200)$/m);
		tmux.keys('q');
		await tmux.waitFor(text => text.includes('EXIT=0'));
	});
});
