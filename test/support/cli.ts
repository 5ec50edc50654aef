import {spawn} from 'node:child_process';

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
	lines: string[];
}

/** Run the built CLI (dist/cli.js, built by the global setup) with no terminal, as CI would. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['dist/cli.js', ...args], {
			env: {...process.env, DATABASE_URL: undefined, ...env},
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', chunk => (stdout += String(chunk)));
		child.stderr.on('data', chunk => (stderr += String(chunk)));
		child.on('error', reject);
		child.on('close', code => resolve({code, stdout, stderr, lines: stdout.split('\n').filter(Boolean)}));
	});
}

export const lastJson = (result: CliResult) => JSON.parse(result.lines.at(-1)!) as Record<string, unknown>;
