import {cleanup, render} from 'ink-testing-library';
import stripAnsi from 'strip-ansi';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {Findings} from '../../source/ui/components/Findings.js';
import {Footer} from '../../source/ui/components/Footer.js';
import {Header} from '../../source/ui/components/Header.js';
import {HelpOverlay} from '../../source/ui/components/HelpOverlay.js';
import {bindingFor, keymap} from '../../source/ui/keymap.js';
import {HistoryFeed} from '../../source/ui/components/HistoryFeed.js';
import {ProgressBar} from '../../source/ui/components/ProgressBar.js';
import {SqlPanel} from '../../source/ui/components/SqlPanel.js';
import {StepsPanel} from '../../source/ui/components/StepsPanel.js';
import {UsersTable} from '../../source/ui/components/UsersTable.js';
import {WhyLine} from '../../source/ui/components/WhyLine.js';
import {initialState} from '../../source/ui/state/dashboard-state.js';
import {cellId} from '../../source/ui/state/users-window.js';
import {createTheme} from '../../source/ui/theme.js';
import {step, usersWindow} from './support.js';

// Colour on (before chalk loads), so styling can be asserted; text assertions strip it.
vi.hoisted(() => {
	process.env.FORCE_COLOR = '1';
});

afterEach(() => cleanup());

const shown = (instance: {lastFrame: () => string | undefined}) => stripAnsi(instance.lastFrame() ?? '');
const lines = (frame: string | undefined) => stripAnsi(frame ?? '').split('\n');

describe('Header', () => {
	it('shows the id, title, phase badge and database, on one line that fits', () => {
		const {lastFrame} = render(<Header id="MIG-001" title="Add display_name, backfilled from initcap(username)" phase="MIGRATING" database="embedded (in memory)" width={80} />);
		const frame = stripAnsi(lastFrame()!);
		expect(lines(frame)).toHaveLength(1);
		expect(frame).toContain('MIG-001');
		expect(frame).toContain('[MIGRATING]');
		expect(frame).toContain('embedded (in memory)');
		expect(shown(render(<Header id="MIG-002" title="Rename" phase="EXPANDING" database="embedded (in memory)" versionSchema="public_MIG-002" width={100} />))).toMatch(/\[EXPANDING\] v2 uses "public_MIG-002" · embedded/);
		expect(shown(render(<Header id="MIG-002" title="Rename" phase="ROLLED_BACK" database="embedded (in memory)" versionSchema="public_MIG-002" width={100} />))).toMatch(/\[ROLLED_BACK\] v2's "public_MIG-002" dropped · embedded/);
		expect(frame.length).toBeLessThanOrEqual(80);
	});
});

describe('StepsPanel', () => {
	const steps = [step(1, {status: 'executed', durationMs: 4}), step(2, {status: 'rolled_back'}), step(3, {status: 'failed'}), step(4, {phase: 'CONTRACTING'})];

	it('marks each status, names each phase once, and points at the next step', () => {
		const frame = shown(render(<StepsPanel steps={steps} next={steps[3]} busy={false} height={10} width={80} />));
		const rows = lines(frame);
		expect(rows[0]).toMatch(/^EXPANDING\s+✔ 1\. step 1 description 4 ms/);
		expect(rows[1]).toMatch(/^MIGRATING\s+↺ 2\./);
		expect(rows[2]).toMatch(/^CONTRACTING\s+✗ 3\./);
		// Same phase as the previous line: the label is not repeated.
		expect(rows[3]).toMatch(/^\s+❯ · 4\./);
	});

	it('shows a spinner, not a mark, on the running step', () => {
		const running = [step(1, {status: 'executed'}), step(2, {status: 'running'})];
		const frame = shown(render(<StepsPanel steps={running} next={running[1]} busy height={5} width={80} />));
		expect(lines(frame)[1]).not.toContain('·');
		expect(lines(frame)[1]).not.toContain('❯');
		expect(lines(frame)[1]).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] 2\./);
	});

	it('windows a long plan around the next step', () => {
		const many = Array.from({length: 30}, (_, index) => step(index + 1, {status: index < 20 ? 'executed' : 'pending', phase: 'EXPANDING'}));
		const frame = shown(render(<StepsPanel steps={many} next={many[20]} busy={false} height={6} width={80} />));
		expect(lines(frame)).toHaveLength(6);
		expect(frame).toContain('❯ · 21.');
	});
});

describe('SqlPanel', () => {
	it('shows the forward SQL, or the rollback SQL when toggled, cut to its height', () => {
		const next = step(1, {forward: ['ALTER TABLE "public"."users" ADD COLUMN "display_name" text'], rollback: ['ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "display_name"']});
		expect(shown(render(<SqlPanel step={next} rollback={false} height={2} width={100} />))).toContain('ADD COLUMN "display_name" text;');
		const back = shown(render(<SqlPanel step={next} rollback height={2} width={100} />));
		expect(back).toContain('rollback SQL');
		expect(back).toContain('DROP COLUMN IF EXISTS "display_name";');
		const long = step(2, {forward: ['SELECT 1\nFROM a\nWHERE b\nAND c']});
		const cut = lines(shown(render(<SqlPanel step={long} rollback={false} height={2} width={100} />)));
		expect(cut).toHaveLength(3);
		expect(cut[2]).toContain('more lines');
	});
});

describe('UsersTable', () => {
	const window = usersWindow(['id', 'username', 'display_name'], [{id: '1', username: 'alice', display_name: 'Alice'}, {id: '2', username: 'bob', display_name: null}, {id: '3', username: 'user3', display_name: null}]);

	it('shows the header and as many rows as it has room for, NULL for empty cells', () => {
		const frame = shown(render(<UsersTable window={window} changed={new Set()} newColumns={[]} height={2} width={80} />));
		expect(lines(frame)).toHaveLength(3);
		expect(lines(frame)[0]).toMatch(/^id\s+username\s+display_name/);
		expect(lines(frame)[1]).toMatch(/^1\s+alice\s+Alice/);
		expect(lines(frame)[2]).toMatch(/^2\s+bob\s+NULL/);
	});

	it('styles changed cells differently from the rest', () => {
		const plain = render(<UsersTable window={window} changed={new Set()} newColumns={[]} height={1} width={80} />);
		const plainRow = plain.stdout.lastFrame()!;
		plain.unmount();
		const marked = render(<UsersTable window={window} changed={new Set([cellId('1', 'display_name')])} newColumns={[]} height={1} width={80} />).lastFrame()!;
		// Same text, different escape codes around the changed cell.
		expect(lines(marked).map(line => line.trimEnd())).toEqual(lines(plainRow).map(line => line.trimEnd()));
		expect(marked).not.toBe(plainRow);
		expect(marked).toMatch(/\u001B\[[\d;]*m\u001B\[[\d;]*mAlice/);
	});

	it('says why when the table cannot be shown', () => {
		expect(shown(render(<UsersTable window={{...window, unavailable: 'no table "users" yet'}} changed={new Set()} newColumns={[]} height={3} width={80} />))).toContain('no table "users" yet');
	});

	it('names whose view it shows and its schema, even when the columns fill the line', () => {
		const wide = usersWindow(['id', 'a_long_column_name', 'another_long_column', 'and_a_third_long_one'], [{id: '1', a_long_column_name: 'x'.repeat(30), another_long_column: 'y'.repeat(30), and_a_third_long_one: 'z'}]);
		const frame = shown(render(<UsersTable window={{...wide, schema: 'public_MIG-002'}} version="v2" changed={new Set()} newColumns={[]} height={1} width={100} />));
		expect(lines(frame)[0]).toMatch(/^id\s+a_long_column_name.* v2 sees "public_MIG-002"\.users/);
		expect(shown(render(<UsersTable window={{...window, unavailable: "v2's schema appears at the end of expand"}} version="v2" changed={new Set()} newColumns={[]} height={3} width={100} />))).toContain("v2 sees public.users: v2's schema appears at the end of expand");
	});
});

describe('ProgressBar', () => {
	it('shows plan progress as executed over all steps, and a backfill’s rows, speed and ETA', () => {
		const frame = shown(render(<ProgressBar executed={3} total={6} backfill={{step: 3, rowsDone: 1500, rowsTotal: 3000, rowsPerSecond: 750, etaMs: 2000, batchSize: 500}} batchFixed={false} paused={false} width={100} />));
		expect(frame).toContain(' 50 %');
		expect(frame).toContain('(3/6 steps)');
		expect(frame).toContain('1,500/3,000 rows');
		expect(frame).toContain('750 rows/s');
		expect(frame).toContain('ETA 2.0 s');
		expect(frame).toContain('batch 500 auto');
		expect(shown(render(<ProgressBar executed={6} total={6} batchFixed paused width={100} />))).toMatch(/100 %[\s\S]*backfill PAUSED/);
	});
});

describe('HistoryFeed', () => {
	const entries = Array.from({length: 8}, (_, index) => ({migrationId: 'MIG-001', phase: 'EXPANDING', message: `entry ${index}`, at: new Date(2026, 0, 1, 10, 0, index).toISOString(), durationMs: index * 10}));

	it('shows the newest entries that fit, newest last, with time and duration', () => {
		const rows = lines(shown(render(<HistoryFeed entries={entries} height={3} width={80} />)));
		expect(rows).toHaveLength(3);
		expect(rows[0]).toContain('entry 5');
		expect(rows[2]).toMatch(/^10:00:07 EXPANDING\s+entry 7 \(70 ms\)/);
	});
});

describe('WhyLine, Findings, HelpOverlay, Footer', () => {
	it('explains the step about to run, else the phase', () => {
		expect(shown(render(<WhyLine phase="EXPANDING" stepWhy="because of the trigger" />))).toContain('because of the trigger');
		expect(shown(render(<WhyLine phase="ROLLED_BACK" />))).toContain('reverse order');
	});

	it('lists lint findings with severity and the safe alternative', () => {
		const frame = shown(render(<Findings findings={[{rule: 'sql-without-down', severity: 'warning', message: 'no down', hint: 'add down'}]} height={3} width={100} />));
		expect(frame).toContain('! warning sql-without-down: no down — add down');
	});

	it('lists every key in the help overlay', () => {
		const frame = shown(render(<HelpOverlay height={20} width={100} />));
		for (const {keys, label} of keymap) expect(frame).toContain(`${keys.padEnd(15)}${label.slice(0, 40)}`);
		for (const key of ['space', 'r', 'f', 'a', 's', '?', 'q']) expect(keymap.some(({keys}) => keys.split(/ \/ | /).includes(key))).toBe(true);
	});

	it('binds each key to one action only, and the footer lists the keymap in 100 columns', () => {
		const presses = keymap.flatMap(binding => binding.presses.map(press => ({binding, press})));
		for (const {binding, press} of presses) {
			const key = press.special ? {[press.special]: true} : {ctrl: press.ctrl};
			expect(bindingFor(press.input ?? '', key)?.binding).toBe(binding);
		}

		const footer = shown(render(<Footer state={initialState()} />));
		expect(footer).toMatch(/^space next · tab v1\/v2 · r rollback · .* · \? help · q quit$/);
		expect(footer).not.toContain('retire v1');
		expect(footer.length).toBeLessThanOrEqual(100);
	});

	it('shows armed modes and errors in the footer', () => {
		const frame = shown(render(<Footer state={{...initialState(), failArmed: true, autoplay: true, error: 'step 3 failed: boom'}} />));
		expect(frame).toContain('[AUTOPLAY] [FAILURE ARMED]');
		expect(frame).toContain('step 3 failed: boom');
	});
});

describe('theme', () => {
	it('drops colour under NO_COLOR but keeps changed cells visible', () => {
		const plain = createTheme(false);
		expect(plain.phaseBadge('COMPLETE').color).toBeUndefined();
		expect(plain.mark('executed').color).toBeUndefined();
		expect(plain.changedSuffix).toBe('*');
		expect(createTheme(true).phaseBadge('COMPLETE').color).toBe('green');
	});
});
