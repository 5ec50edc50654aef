/**
 * Errors are values the CLI can print on one line: what went wrong, and how to fix it.
 * The exit code travels with the error so that only the CLI decides how to leave.
 */
export const ExitCode = {
	ok: 0,
	rolledBack: 1,
	badInput: 2,
	refused: 3,
	interrupted: 130,
} as const;

export type ZdmErrorCode =
	| 'bad-input'
	| 'plan-file'
	| 'validation'
	| 'refused'
	| 'lock-held'
	| 'step-failed'
	| 'interrupted'
	| 'lock-timeout';

export class ZdmError extends Error {
	constructor(
		readonly code: ZdmErrorCode,
		message: string,
		readonly hint?: string,
	) {
		super(message);
		this.name = 'ZdmError';
	}

	get exitCode(): number {
		switch (this.code) {
			case 'bad-input':
			case 'plan-file':
			case 'validation': {
				return ExitCode.badInput;
			}

			case 'refused':
			case 'lock-held': {
				return ExitCode.refused;
			}

			case 'interrupted': {
				return ExitCode.interrupted;
			}

			default: {
				return ExitCode.rolledBack;
			}
		}
	}

	/** One line: the problem, then the fix. */
	oneLine(): string {
		return this.hint ? `${this.message} — ${this.hint}` : this.message;
	}
}

export const badInput = (message: string, hint?: string) => new ZdmError('bad-input', message, hint);
