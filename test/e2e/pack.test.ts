import {execFileSync} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {TmuxSession} from './tmux.js';

let folder: string;
let app: string;

// The published package, installed the way a user gets it: pack, then install the tarball.
beforeAll(() => {
	folder = mkdtempSync(join(tmpdir(), 'zdm-pack-'));
	execFileSync('npm', ['pack', '--pack-destination', folder, '--silent'], {stdio: ['ignore', 'pipe', 'pipe']});
	const tarball = readdirSync(folder).find(name => name.endsWith('.tgz'))!;
	app = join(folder, 'app');
	execFileSync('mkdir', ['-p', app]);
	writeFileSync(join(app, 'package.json'), JSON.stringify({name: 'zdm-pack-check', private: true}));
	// The registry cache is warm on every machine that ran npm ci; prefer it.
	execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(folder, tarball)], {cwd: app, stdio: ['ignore', 'pipe', 'pipe']});
}, 240_000);

afterAll(() => rmSync(folder, {recursive: true, force: true}));

describe('the packed package', () => {
	it('runs zdm-tui --help through npx', () => {
		const help = execFileSync('npx', ['--no-install', 'zdm-tui', '--help'], {cwd: app, encoding: 'utf8'});
		expect(help).toContain('$ zdm-tui [PLAN]');
		expect(help).toContain('Dashboard keys');
	});

	it('opens the dashboard on its bundled sample from any working directory', async () => {
		const tmux = new TmuxSession('CI=false npx --no-install zdm-tui --rows 100', {columns: 100, rows: 30}, app);
		try {
			const screen = await tmux.waitFor(text => text.includes('[PENDING]'), 60_000);
			expect(screen).toContain('MIG-001');
			tmux.keys('q');
			await tmux.waitFor(text => text.includes('EXIT=0'));
		} finally {
			tmux.kill();
		}
	});
});
