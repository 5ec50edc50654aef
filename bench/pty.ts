import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {sleep} from './stats.js';

// eslint-disable-next-line no-control-regex
const ansi = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007]*\u0007|[@-Z\\-_])/g;
export const visibleText = (raw: string) => raw.replace(ansi, '').replace(/[\r\n]/g, ' ').trim();

/**
 * A command in a real pseudo-terminal (util-linux `script`), sized 120×40, with every output
 * chunk timestamped as it arrives: the first frame and each keypress's frame are measured here.
 */
export interface PtyApp {
	started: number;
	chunks: Array<{at: number; text: string}>;
	/** All output so far, escape codes removed. */
	screen(): string;
	write(keys: string): void;
	/** Resolves with the time of the first chunk after `since` with visible text, or undefined at the deadline. */
	nextOutput(since: number, timeoutMs: number): Promise<number | undefined>;
	/** Wait until nothing was written for quietMs (or give up after timeoutMs); returns whether it went quiet. */
	quiet(quietMs: number, timeoutMs: number): Promise<boolean>;
	exited(): boolean;
	stop(): Promise<void>;
}

export function spawnInPty(command: string, env: Record<string, string> = {}): PtyApp {
	const started = performance.now();
	const child: ChildProcessWithoutNullStreams = spawn('script', ['-qfec', `stty rows 40 cols 120; exec ${command}`, '/dev/null'], {
		env: {...process.env, CI: 'false', TERM: 'xterm-256color', FORCE_COLOR: '1', ...env},
	});
	const chunks: Array<{at: number; text: string}> = [];
	let exited = false;
	child.on('exit', () => {
		exited = true;
	});
	child.stdout.on('data', (data: Buffer) => chunks.push({at: performance.now(), text: data.toString('utf8')}));
	child.stderr.on('data', (data: Buffer) => chunks.push({at: performance.now(), text: data.toString('utf8')}));
	return {
		started,
		chunks,
		screen: () => visibleText(chunks.map(chunk => chunk.text).join('')),
		write(keys) {
			child.stdin.write(keys);
		},
		async nextOutput(since, timeoutMs) {
			const deadline = performance.now() + timeoutMs;
			while (performance.now() < deadline) {
				const chunk = chunks.find(candidate => candidate.at > since && visibleText(candidate.text) !== '');
				if (chunk) return chunk.at;
				if (exited) return undefined;
				await sleep(1);
			}

			return undefined;
		},
		async quiet(quietMs, timeoutMs) {
			const deadline = performance.now() + timeoutMs;
			while (performance.now() < deadline) {
				const last = chunks.at(-1)?.at ?? started;
				if (performance.now() - last >= quietMs) return true;
				await sleep(10);
			}

			return false;
		},
		exited: () => exited,
		async stop() {
			if (exited) return;
			const gone = new Promise(resolve => child.once('exit', resolve));
			child.stdin.write('q');
			await Promise.race([gone, sleep(2000)]);
			if (!exited) child.kill('SIGKILL');
		},
	};
}
