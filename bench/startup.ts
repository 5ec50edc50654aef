import {spawn, spawnSync} from 'node:child_process';
import {median, sleep} from './stats.js';
import {spawnInPty, visibleText} from './pty.js';

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
	/** Spawn to the first visible output (the plain "starting" line cli.js writes before Ink loads). */
	ms?: number;
	/** Spawn to Ink's first frame: the header or the spinner. */
	inkMs?: number;
	note?: string;
}

/** Whether the dashboard answered with its "not built" placeholder or a refusal instead of a frame. */
const notADashboard = (screen: string) => /not built yet|needs an interactive terminal|zdm-tui run/i.test(screen) && !/step/i.test(screen);
/** Ink's first frame shows the header, or the spinner while PGlite starts; the plain line has neither. */
const inkFrame = (text: string) => /zdm-tui ·|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/.test(visibleText(text));

/** Time from spawning the dashboard in a pseudo-terminal to its first output and to Ink's first frame. */
export async function firstFrame(args: string[] = [], runs = 3): Promise<FirstFrame> {
	const times: number[] = [];
	const inkTimes: number[] = [];
	for (let i = 0; i < runs; i++) {
		const app = spawnInPty(`${process.execPath} ${cli} ${args.join(' ')}`);
		const at = await app.nextOutput(app.started, 10_000);
		const deadline = performance.now() + 10_000;
		while (!app.chunks.some(chunk => inkFrame(chunk.text)) && !app.exited() && performance.now() < deadline) await sleep(1);
		await sleep(300);
		const screen = app.screen();
		const inkAt = app.chunks.find(chunk => inkFrame(chunk.text))?.at;
		await app.stop();
		if (at === undefined) return {note: 'no output within 10 s'};
		if (notADashboard(screen)) return {note: `dashboard not ready: "${screen.slice(0, 60)}"`};
		if (inkAt === undefined) return {ms: at - app.started, note: `no Ink frame within 10 s: "${screen.slice(0, 60)}"`};
		times.push(at - app.started);
		inkTimes.push(inkAt - app.started);
	}

	return {ms: median(times), inkMs: median(inkTimes)};
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
