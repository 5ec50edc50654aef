import {execFileSync} from 'node:child_process';

/** A program in a real terminal: tmux gives it a pseudo-terminal; we type and read the screen. */
export class TmuxSession {
	private static count = 0;
	readonly name = `zdm-e2e-${process.pid}-${TmuxSession.count++}`;

	constructor(command: string, size = {columns: 100, rows: 30}, cwd = process.cwd()) {
		execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(size.columns), '-y', String(size.rows), '-c', cwd, `${command}; echo "EXIT=$?"; sleep 60`]);
	}

	screen(): string {
		return execFileSync('tmux', ['capture-pane', '-t', this.name, '-p'], {encoding: 'utf8'});
	}

	/** The screen with its colours, as ANSI text. */
	screenWithColour(): string {
		return execFileSync('tmux', ['capture-pane', '-t', this.name, '-p', '-e'], {encoding: 'utf8'});
	}

	keys(...keys: string[]) {
		execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
	}

	async waitFor(accept: (screen: string) => boolean, timeoutMs = 45_000): Promise<string> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const screen = this.screen();
			if (accept(screen)) return screen;
			if (Date.now() > deadline) throw new Error(`timed out waiting in tmux; the screen was:\n${screen}`);
			await new Promise(resolve => setTimeout(resolve, 100));
		}
	}

	kill() {
		try {
			execFileSync('tmux', ['kill-session', '-t', this.name], {stdio: 'ignore'});
		} catch {}
	}
}

/** Lines from the top down to the last one with text: how tall the program's frame is. */
export const frameHeight = (screen: string) => screen.replace(/\s+$/, '').split('\n').length;

/**
 * How many steps a sample compiles to on the demo table, as `plan --json` says: the tests count
 * the marks against the plan, so a step the compiler adds (verify before contract) moves them too.
 */
export function stepCount(plan: string): number {
	const output = execFileSync('node', ['dist/cli.js', 'plan', plan, '--json'], {encoding: 'utf8', env: {...process.env, CI: 'true'}, timeout: 60_000});
	return (JSON.parse(output) as {plan: {steps: unknown[]}}).plan.steps.length;
}
