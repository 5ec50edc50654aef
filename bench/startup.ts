import {spawn, spawnSync} from 'node:child_process';
import {median, sleep} from './stats.js';
import {spawnInPty} from './pty.js';

export const cli = 'dist/cli.js';

/** Wall time of `zdm-tui --help` over several runs (a process start each): the best and the median. */
export function helpMs(runs = 7): {best: number; median: number} {
	const times: number[] = [];
	for (let i = 0; i < runs; i++) {
		const started = performance.now();
		const result = spawnSync(process.execPath, [cli, '--help'], {stdio: ['ignore', 'pipe', 'pipe']});
		if (result.status !== 0) throw new Error(`zdm-tui --help failed: ${String(result.stderr)}`);
		times.push(performance.now() - started);
	}

	return {best: Math.min(...times), median: median(times)};
}

export interface FirstFrame {
	/** Spawn to the first visible output, or undefined when the dashboard does not run yet. */
	ms?: number;
	note?: string;
}

/** Whether the dashboard answered with its "not built" placeholder or a refusal instead of a frame. */
const notADashboard = (screen: string) => /not built yet|needs an interactive terminal|zdm-tui run/i.test(screen) && !/step/i.test(screen);

/** Time from spawning the dashboard in a pseudo-terminal to its first frame. */
export async function firstFrame(args: string[] = [], runs = 3): Promise<FirstFrame> {
	const times: number[] = [];
	for (let i = 0; i < runs; i++) {
		const app = spawnInPty(`${process.execPath} ${cli} ${args.join(' ')}`);
		const at = await app.nextOutput(app.started, 10_000);
		await sleep(300);
		const screen = app.screen();
		await app.stop();
		if (at === undefined) return {note: 'no output within 10 s'};
		if (notADashboard(screen)) return {note: `dashboard not ready: "${screen.slice(0, 60)}"`};
		times.push(at - app.started);
	}

	return {ms: median(times)};
}

/**
 * Spawn to "the embedded database is open and seeded at its demo size", in a fresh process as a
 * user would see it. `cacheDir` isolates the data directory cache so a cold start can be shown.
 */
export async function embeddedReadyMs(env: Record<string, string> = {}): Promise<number> {
	const script = `const {openDatabase} = await import('./dist/db/open.js'); const db = await openDatabase({}); process.stdout.write('ready\\n'); await db.close();`;
	return new Promise((resolve, reject) => {
		const started = performance.now();
		const child = spawn(process.execPath, ['--input-type=module', '-e', script], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
		let readyAt: number | undefined;
		let errors = '';
		child.stdout.on('data', (data: Buffer) => {
			if (readyAt === undefined && String(data).includes('ready')) readyAt = performance.now();
		});
		child.stderr.on('data', (data: Buffer) => (errors += String(data)));
		child.on('exit', code => (readyAt === undefined || code !== 0 ? reject(new Error(`embedded start failed (${code}): ${errors.slice(0, 300)}`)) : resolve(readyAt - started)));
	});
}
