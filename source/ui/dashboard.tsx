import {fileURLToPath} from 'node:url';
import {render} from 'ink';
import {ZdmError} from '../core/errors.js';
import type {CommandFlags} from '../commands/options.js';
import {App} from './App.js';
import {DashboardRehearsal} from './data/rehearsal.js';
import {isReleaseDir} from './data/dashboard-release.js';

/** The sample that ships in the package, found beside the code rather than in the working directory. */
export const defaultPlanPath = fileURLToPath(new URL('../../samples/add-display-name.yaml', import.meta.url));

/**
 * `zdm-tui [PLAN]`: render first (a spinner while PGlite starts), then open the database inside the
 * app. Resolves to the exit code, or rejects with the error that kept the dashboard from starting.
 */
export async function dashboard(planPath: string | undefined, flags: CommandFlags, signal: AbortSignal): Promise<number> {
	// Checked before anything opens: without raw mode a keypress-driven screen cannot work.
	if (!process.stdin.isTTY || typeof process.stdin.setRawMode !== 'function') {
		throw new ZdmError('bad-input', 'the dashboard needs an interactive terminal', `use zdm-tui ${planPath && isReleaseDir(planPath) ? 'migrate' : 'run'} ${planPath ?? 'samples/add-display-name.yaml'} --yes for the headless run`);
	}

	let result: {code: number} | {error: unknown} = {code: 0};
	if (flags.rehearseFrom === undefined && (flags.from !== undefined || flags.copyRows !== undefined)) throw new ZdmError('bad-input', '--from and --copy-rows rehearse: the dashboard takes --rehearse-from URL', `e.g. zdm-tui ${planPath ?? 'PLAN'} --rehearse-from postgres://user@host:5432/app`);
	const rehearsal = flags.rehearseFrom === undefined ? undefined : new DashboardRehearsal(planPath ?? defaultPlanPath, flags);
	const instance = render(<App planPath={planPath ?? defaultPlanPath} flags={flags} signal={signal} open={rehearsal?.open} onExit={outcome => (result = outcome)} />, {exitOnCtrlC: false});
	await instance.waitUntilExit();
	for (const line of rehearsal?.lines() ?? []) process.stdout.write(`${line}\n`);
	if ('error' in result) throw result.error;
	return result.code;
}
