/*
 * The dashboard's keys, as plain data: use-keys.ts acts on them, the help overlay and the footer
 * list them, and the CLI's --help prints them. No React or Ink here, so the CLI can load it cheaply.
 */

export type KeyAction = 'quit' | 'next' | 'rollback' | 'retire-v1' | 'switch-view' | 'switch-table' | 'arm-failure' | 'autoplay' | 'sql' | 'pause' | 'batch-size' | 'scroll' | 'help';

/** The keys Ink names rather than types (a subset of Ink's Key flags). */
export type SpecialKey = 'return' | 'tab' | 'escape' | 'upArrow' | 'downArrow' | 'pageUp' | 'pageDown';

export interface KeyPress {
	/** A typed character… */
	input?: string;
	/** …or a named key. */
	special?: SpecialKey;
	ctrl?: boolean;
	/** Direction and size for scroll, batch-size and switch-table: +1 / -1, in pages when `page`. */
	by?: number;
	page?: boolean;
}

export interface KeyBinding {
	action: KeyAction;
	/** How help names the keys. */
	keys: string;
	/** What they do, in a line that fits the CLI's 80-column --help. */
	label: string;
	/**
	 * The footer's short form, when the footer lists it (`footerKeys` when shorter than `keys`).
	 * Backfill keys are left to the help: the footer must fit 100 columns.
	 */
	footer?: string;
	footerKeys?: string;
	presses: KeyPress[];
}

export const keymap: KeyBinding[] = [
	{action: 'next', keys: 'space / enter', label: 'run the next step (queued while one runs)', footer: 'next', footerKeys: 'space', presses: [{input: ' '}, {special: 'return'}]},
	{action: 'retire-v1', keys: 'v', label: 'retire v1, the old app, before contract removes what it needs', footer: 'retire v1', presses: [{input: 'v'}]},
	{action: 'switch-view', keys: 'tab', label: 'the table as v1 sees it, or as v2 does (its version schema)', footer: 'v1/v2', presses: [{special: 'tab'}]},
	// Left out of the footer, like scroll: the table's title names the keys when there are several tables.
	{
		action: 'switch-table',
		keys: '[ / ]',
		label: 'the previous / next table of the plan (it follows the steps)',
		presses: [
			{input: '[', by: -1},
			{input: ']', by: 1},
		],
	},
	{action: 'rollback', keys: 'r', label: 'roll back everything executed so far, newest first', footer: 'rollback', presses: [{input: 'r'}]},
	{action: 'arm-failure', keys: 'f', label: 'arm a failure on the next step, to watch the rollback', footer: 'fail', presses: [{input: 'f'}]},
	{action: 'autoplay', keys: 'a', label: 'autoplay on/off (--autoplay, --speed MS)', footer: 'auto', presses: [{input: 'a'}]},
	{action: 'sql', keys: 's', label: 'show the next step’s forward / rollback SQL', footer: 'sql', presses: [{input: 's'}]},
	{action: 'pause', keys: 'p', label: 'pause / resume the backfill or verify between batches', presses: [{input: 'p'}]},
	{
		action: 'batch-size',
		keys: '+ / -',
		label: 'double / halve the backfill batch size (stops adapting)',
		presses: [
			{input: '+', by: 1},
			{input: '=', by: 1},
			{input: '-', by: -1},
			{input: '_', by: -1},
		],
	},
	{
		action: 'scroll',
		keys: '↑ ↓ PgUp PgDn',
		label: 'scroll the table',
		presses: [
			{special: 'upArrow', by: -1},
			{special: 'downArrow', by: 1},
			{special: 'pageUp', by: -1, page: true},
			{special: 'pageDown', by: 1, page: true},
		],
	},
	// Escape only closes the help (use-keys ignores it otherwise).
	{action: 'help', keys: '?', label: 'this help', footer: 'help', presses: [{input: '?'}, {special: 'escape'}]},
	{action: 'quit', keys: 'q / ctrl-c', label: 'quit: a backfill stops after its batch; the next start resumes', footer: 'quit', footerKeys: 'q', presses: [{input: 'q'}, {input: 'c', ctrl: true}]},
];

/** What Ink reports of a keypress: the flags this table reads. */
export type PressedKey = Partial<Record<SpecialKey | 'ctrl', boolean>>;

/** The binding and press a keypress matches, if any. */
export function bindingFor(input: string, key: PressedKey): {binding: KeyBinding; press: KeyPress} | undefined {
	for (const binding of keymap) {
		for (const press of binding.presses) {
			const matches = press.special ? key[press.special] === true : input === press.input && Boolean(key.ctrl) === Boolean(press.ctrl);
			if (matches) return {binding, press};
		}
	}

	return undefined;
}

/** The "Dashboard keys" section of the CLI's --help: one key a line. */
export const cliKeyLines = (indent: string) => keymap.map(({keys, label}) => `${indent}${keys.replaceAll(' / ', '/').padEnd(15)}${label}`);
