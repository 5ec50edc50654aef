import {Box, Text} from 'ink';
import type {MigrationPhase} from '../../core/phase.js';
import type {Step} from '../../core/plan.js';
import {releaseRows, releaseWindowStart, type ReleaseRow, type ReleaseView} from '../state/release.js';
import {duration} from '../format.js';
import {theme} from '../theme.js';
import {StepLine} from './StepsPanel.js';

export interface ReleaseStepsPanelProps {
	release: ReleaseView;
	/** The open migration's steps and phase. */
	steps: Step[];
	phase?: MigrationPhase;
	next?: Step;
	busy: boolean;
	height: number;
	width: number;
}

/** What a heading says of its migration: how it ended, where it is, or that it is still to come. */
function headingState(row: Extract<ReleaseRow, {kind: 'heading'}>): string {
	if (!row.phase) return 'pending';
	const ended = row.migration.ended;
	if (row.folded && ended) return `${row.phase} · ${ended.steps.filter(step => step.status === 'executed').length}/${ended.steps.length} steps in ${duration(ended.steps.reduce((sum, step) => sum + (step.durationMs ?? 0), 0))}`;
	if (row.migration.target === 'started' && row.phase !== 'COMPLETE' && row.phase !== 'ROLLED_BACK') return `${row.phase} · left started, as migrate leaves the last`;
	return row.phase;
}

/** The release's steps under a heading line per migration, windowed around the next step. */
export function ReleaseStepsPanel({release, steps, phase, next, busy, height, width}: ReleaseStepsPanelProps) {
	const whole = releaseRows(release, steps, phase);
	// Too long for the panel: the migrations done fold to their heading, the open one keeps its steps.
	const rows = whole.length > height ? releaseRows(release, steps, phase, true) : whole;
	const start = releaseWindowStart(rows, height);
	const shown = rows.slice(start, start + height);
	return (
		<Box flexDirection="column" width={width}>
			{shown.map((row, index) => {
				if (row.kind === 'heading') {
					return (
						<Text key={`h-${row.migration.id}`} wrap="truncate-end">
							<Text {...theme.accent}>── </Text>
							<Text bold>{row.migration.id}</Text>
							<Text {...theme.muted}>
								{' '}
								({row.position + 1}/{row.total}){row.migration.resumed ? ', resumed' : ''}{' '}
							</Text>
							{row.phase ? <Text {...theme.phase(row.phase)}>{headingState(row)}</Text> : <Text {...theme.muted}>{headingState(row)}</Text>}
						</Text>
					);
				}

				const previous = index === 0 ? rows[start - 1] : shown[index - 1];
				const firstOfPhase = previous?.kind !== 'step' || previous.step.phase !== row.step.phase;
				return <StepLine key={`${row.migration}-${row.step.number}`} step={row.step} firstOfPhase={firstOfPhase} next={row.live ? next : undefined} busy={row.live && busy} />;
			})}
		</Box>
	);
}
