import {Box} from 'ink';
import {nextStep} from '../core/plan.js';
import {Findings} from './components/Findings.js';
import {Footer} from './components/Footer.js';
import {Header} from './components/Header.js';
import {HelpOverlay} from './components/HelpOverlay.js';
import {HistoryFeed} from './components/HistoryFeed.js';
import {ProgressBar} from './components/ProgressBar.js';
import {SqlPanel, sqlLines} from './components/SqlPanel.js';
import {StepsPanel} from './components/StepsPanel.js';
import {ReleaseStepsPanel} from './components/ReleaseStepsPanel.js';
import {releaseRows} from './state/release.js';
import {TrafficPanel, trafficLines} from './components/TrafficPanel.js';
import {UsersTable} from './components/UsersTable.js';
import {WhyLine} from './components/WhyLine.js';
import {computeLayout, type Layout} from './layout.js';
import type {DashboardState} from './state/dashboard-state.js';

/** What the SQL panel, the table and the feed take with their titles: the help overlay's room. */
const lowerPanelLines = (layout: Layout) => layout.sql + (layout.sql > 0 ? 1 : 0) + layout.table + (layout.table > 0 ? 1 : 0) + layout.feed;

/** The step space would run; none once the migration has ended (space then starts afresh). */
export function upcomingStep(state: DashboardState) {
	const phase = state.plan?.phase;
	return phase === 'COMPLETE' || phase === 'ROLLED_BACK' ? undefined : nextStep({steps: state.steps});
}

export function layoutFor(state: DashboardState, size: {columns: number; rows: number}): Layout {
	const next = upcomingStep(state);
	return computeLayout(size.rows, size.columns, {steps: state.release ? releaseRows(state.release, state.steps, state.plan?.phase).length : state.steps.length, sql: sqlLines(next, state.showRollbackSql).length, traffic: state.traffic ? trafficLines(state.traffic, showVerdict(state)) : 0});
}

/** The zero-downtime verdict is a judgement on a whole run: shown once it is COMPLETE. */
const showVerdict = (state: DashboardState) => state.plan?.phase === 'COMPLETE';

/** The phase's own note claims no downtime: with the traffic's verdict against it, say what went wrong. */
const brokenWhy = 'Done, but not without downtime: an application version failed or waited too long (retire v1 before contract).';

/** Contract removes what v1 needs: while v1 is live before it, the dashboard asks for it to go. */
export function retirePrompt(state: DashboardState): string | undefined {
	const v1 = state.traffic?.versions.v1;
	if (!v1 || v1.state !== 'live' || upcomingStep(state)?.phase !== 'CONTRACTING') return undefined;
	return 'v1 is still live: press v to retire it before contract, which may remove what v1 needs (space goes on anyway)';
}

/** The panels, top to bottom, each given the lines the layout allows. Rendering only: no keys here. */
export function Screen({state, layout}: {state: DashboardState; layout: Layout}) {
	const {plan, steps} = state;
	if (!plan) return null;
	const next = upcomingStep(state);
	const running = state.busy ? steps.find(step => step.status === 'running') : undefined;
	const executed = steps.filter(step => step.status === 'executed').length;
	const {width} = layout;
	const showFindings = plan.phase === 'PENDING' && state.findings.length > 0;
	return (
		<Box flexDirection="column" width={width}>
			<Header id={state.release ? `${plan.id} (${state.release.current + 1}/${state.release.migrations.length})` : plan.id} title={plan.title} phase={plan.phase} database={state.database} versionSchema={state.versions?.v2} width={width} />
			<WhyLine phase={plan.phase} stepWhy={(running ?? next)?.why ?? (plan.phase === 'COMPLETE' && state.traffic?.verdict.zeroDowntime === false ? brokenWhy : undefined)} />
			<ProgressBar executed={executed} total={steps.length} backfill={state.backfill} batchSize={state.batchSize} batchFixed={state.batchFixed} paused={state.paused} throttled={state.throttled} width={width} />
			{state.release ? <ReleaseStepsPanel release={state.release} steps={steps} phase={plan.phase} next={next} busy={state.busy} height={layout.steps} width={width} /> : <StepsPanel steps={steps} next={next} busy={state.busy} height={layout.steps} width={width} />}
			{state.traffic && layout.traffic > 0 ? <TrafficPanel snapshot={state.traffic} showVerdict={showVerdict(state)} height={layout.traffic} /> : null}
			{state.help ? (
				<HelpOverlay height={lowerPanelLines(layout)} width={width} />
			) : (
				<>
					<SqlPanel step={next} rollback={state.showRollbackSql} height={layout.sql} width={width} />
					<UsersTable window={state.users} changed={state.changed} newColumns={state.newColumns} version={state.tableVersion} place={{index: state.tableIndex, count: state.tables.length}} height={layout.table} width={width} />
					{showFindings ? <Findings findings={state.findings} height={layout.feed} width={width} /> : <HistoryFeed entries={state.history} height={layout.feed} width={width} />}
				</>
			)}
			<Footer state={state} prompt={retirePrompt(state)} />
		</Box>
	);
}
