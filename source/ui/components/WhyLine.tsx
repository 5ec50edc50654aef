import {Text} from 'ink';
import {phaseWhy, type MigrationPhase} from '../../core/phase.js';
import {theme} from '../theme.js';

/** The lab's WHY note: for the step about to run (or running), else for the phase. */
export function WhyLine({phase, stepWhy}: {phase: MigrationPhase; stepWhy?: string}) {
	return (
		<Text wrap="truncate-end">
			<Text {...theme.accent}>why </Text>
			{stepWhy ?? phaseWhy[phase]}
		</Text>
	);
}
