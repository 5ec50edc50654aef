import {ZdmError} from '../core/errors.js';
import type {CommandFlags} from '../commands/options.js';

/** Placeholder until the dashboard lands: refuses clearly. */
export async function dashboard(_plan: string | undefined, _flags: CommandFlags, _signal: AbortSignal): Promise<number> {
	throw new ZdmError('bad-input', 'the dashboard is not built yet', 'use zdm-tui run PLAN');
}
