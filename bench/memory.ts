import {spawn} from 'node:child_process';
import {cli} from './startup.js';

/**
 * Peak resident memory (VmHWM) of a CLI run, from GNU time's maximum RSS of the child process.
 * Returns megabytes and the exit code, so a failed run is not mistaken for a lean one.
 */
export async function peakRss(args: string[], env: Record<string, string> = {}): Promise<{mb: number; code: number; output: string}> {
	return new Promise((resolve, reject) => {
		const child = spawn('/usr/bin/time', ['-f', 'zdm-bench-maxrss %M', process.execPath, cli, ...args], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
		let output = '';
		child.stdout.on('data', (data: Buffer) => (output += String(data)));
		child.stderr.on('data', (data: Buffer) => (output += String(data)));
		child.on('error', reject);
		child.on('exit', code => {
			const kb = /zdm-bench-maxrss (\d+)/.exec(output);
			if (!kb) return reject(new Error(`no maximum RSS from /usr/bin/time: ${output.slice(-300)}`));
			resolve({mb: Number(kb[1]) / 1024, code: code ?? -1, output: output.replace(/zdm-bench-maxrss \d+\n?/, '')});
		});
	});
}
