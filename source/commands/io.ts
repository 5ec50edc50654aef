/** Where a command writes. The CLI passes the process's streams; nothing else prints. */
export interface Io {
	out(line: string): void;
	err(line: string): void;
	/** Whether a person is at the keyboard (stdin is a terminal). */
	interactive: boolean;
	ask?(question: string): Promise<boolean>;
}

export const processIo = (): Io => ({
	out: line => process.stdout.write(`${line}\n`),
	err: line => process.stderr.write(`${line}\n`),
	interactive: Boolean(process.stdin.isTTY),
	async ask(question) {
		const {createInterface} = await import('node:readline/promises');
		const rl = createInterface({input: process.stdin, output: process.stderr});
		try {
			return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
		} finally {
			rl.close();
		}
	},
});
