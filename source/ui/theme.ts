import type {TextProps} from 'ink';
import type {MigrationPhase} from '../core/phase.js';
import type {StepStatus} from '../core/plan.js';

/** https://no-color.org: any non-empty NO_COLOR turns colour off; marks and brackets still read. */
export const colorEnabled = (env: NodeJS.ProcessEnv = process.env) => !env.NO_COLOR;

type Style = Pick<TextProps, 'color' | 'bold' | 'dimColor' | 'inverse' | 'underline'>;

// Mid-tone named colours read on dark and light backgrounds; white, black and yellow text do not.
const phaseColor: Record<MigrationPhase, string> = {
	PENDING: 'gray',
	EXPANDING: 'blue',
	MIGRATING: 'magenta',
	CONTRACTING: 'cyan',
	COMPLETE: 'green',
	ROLLED_BACK: 'red',
};

export const marks: Record<StepStatus, string> = {pending: '·', running: '▶', executed: '✔', rolled_back: '↺', failed: '✗'};
const markColor: Record<StepStatus, string | undefined> = {pending: undefined, running: 'blue', executed: 'green', rolled_back: 'magenta', failed: 'red'};

export interface Theme {
	phaseBadge(phase: MigrationPhase): Style;
	phase(phase: MigrationPhase): Style;
	mark(status: StepStatus): Style;
	/** A cell the last step or batch changed. */
	changed: Style;
	/** Column headers, step pointer. */
	accent: Style;
	muted: Style;
	error: Style;
	warning: Style;
	ok: Style;
	/** Without colour, a changed cell also carries this suffix so it still stands out. */
	changedSuffix: string;
}

export function createTheme(color = colorEnabled()): Theme {
	const paint = (name: string | undefined, extra: Style = {}): Style => (color && name ? {color: name, ...extra} : extra);
	return {
		phaseBadge: phase => paint(phaseColor[phase], {inverse: true, bold: true}),
		phase: phase => paint(phaseColor[phase], {bold: true}),
		mark: status => paint(markColor[status], {bold: status !== 'pending'}),
		changed: color ? {color: 'green', bold: true} : {bold: true, underline: true},
		accent: paint('cyan', {bold: true}),
		muted: {dimColor: true},
		error: paint('red', {bold: true}),
		warning: paint('magenta', {bold: true}),
		ok: paint('green', {bold: true}),
		changedSuffix: color ? '' : '*',
	};
}

export const theme = createTheme();
