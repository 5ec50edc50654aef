import {Box, Text} from 'ink';
import Spinner from 'ink-spinner';
import type {Step} from '../../core/plan.js';
import {duration} from '../format.js';
import {marks, theme} from '../theme.js';

export interface StepsPanelProps {
	steps: Step[];
	/** The step space runs, pointed at; none when the migration has ended. */
	next?: Step;
	/** Whether a step runs now: a step stored as running while nothing runs was interrupted. */
	busy: boolean;
	/** Lines available; a long plan is windowed around the next step. */
	height: number;
	width: number;
}

const phaseColumn = 12;

/** The first step to show so that the next (or running) step stays in view. */
export function stepsWindowStart(steps: Step[], height: number): number {
	if (steps.length <= height) return 0;
	const focus = steps.findIndex(step => step.status === 'pending' || step.status === 'running');
	const at = focus === -1 ? steps.length - 1 : focus;
	return Math.min(Math.max(0, at - Math.floor(height / 3)), steps.length - height);
}

/** One step's line: its phase on the first of a phase, ❯ on the next, its mark, number and description. */
export function StepLine({step, firstOfPhase, next, busy}: {step: Step; firstOfPhase: boolean; next?: Step; busy: boolean}) {
	const spinning = busy && step.status === 'running';
	const isNext = step.number === next?.number && !spinning;
	const interrupted = step.status === 'running' && !busy;
	return (
		<Text wrap="truncate-end">
			<Text {...theme.phase(step.phase)}>{(firstOfPhase ? step.phase : '').padEnd(phaseColumn)}</Text>
			<Text {...theme.accent}>{isNext ? '❯ ' : '  '}</Text>
			{spinning ? (
				<Text {...theme.mark('running')}>
					<Spinner type="dots" />
				</Text>
			) : (
				<Text {...theme.mark(interrupted ? 'pending' : step.status)}>{marks[interrupted ? 'pending' : step.status]}</Text>
			)}{' '}
			{step.number}. {interrupted ? <Text {...theme.warning}>[interrupted, space resumes] </Text> : null}
			{step.description}
			{step.irreversible ? <Text {...theme.warning}> [point of no return]</Text> : null}
			{step.durationMs !== undefined && step.status !== 'pending' && step.status !== 'running' ? <Text {...theme.muted}> {duration(step.durationMs)}</Text> : null}
		</Text>
	);
}

/** Steps grouped by phase: ✔ executed, ↺ rolled back, ✗ failed, a spinner on the running one, ❯ on the next. */
export function StepsPanel({steps, next, busy, height, width}: StepsPanelProps) {
	const start = stepsWindowStart(steps, height);
	const shown = steps.slice(start, start + height);
	return (
		<Box flexDirection="column" width={width}>
			{shown.map((step, index) => {
				const previous = index === 0 ? steps[start - 1] : shown[index - 1];
				return <StepLine key={step.number} step={step} firstOfPhase={index === 0 || previous?.phase !== step.phase} next={next} busy={busy} />;
			})}
		</Box>
	);
}
