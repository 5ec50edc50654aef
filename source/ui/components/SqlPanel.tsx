import {Box, Text} from 'ink';
import type {Step} from '../../core/plan.js';
import {theme} from '../theme.js';

/** The next step's SQL as lines: statements end with `;`, tabs become two spaces. */
export function sqlLines(step: Step | undefined, rollback: boolean): string[] {
	if (!step) return [];
	const statements = rollback ? step.rollback : step.backfill ? step.forward.slice(2) : step.forward;
	if (statements.length === 0) return [rollback ? `-- nothing: ${step.irreversible ? 'this step cannot be undone' : 'an earlier step’s rollback undoes it'}` : '-- nothing to run'];
	const lines = statements.flatMap(sql => `${sql.trim()};`.replaceAll('\t', '  ').split('\n'));
	return step.backfill && !rollback ? ['-- each batch: find where it ends, then fill and record it (the first starts at the beginning)', ...lines] : lines;
}

export interface SqlPanelProps {
	step?: Step;
	rollback: boolean;
	/** Lines under the title. */
	height: number;
	width: number;
}

/** What the next step will run, exactly; `s` shows what would undo it. */
export function SqlPanel({step, rollback, height, width}: SqlPanelProps) {
	if (!step || height <= 0) return null;
	const lines = sqlLines(step, rollback);
	const shown = lines.length > height && height > 1 ? [...lines.slice(0, height - 1), `… ${lines.length - height + 1} more lines (zdm-tui plan shows all)`] : lines.slice(0, height);
	return (
		<Box flexDirection="column" width={width}>
			<Text wrap="truncate-end" {...theme.muted}>
				── step {step.number} {rollback ? 'rollback' : 'forward'} SQL (s: {rollback ? 'forward' : 'rollback'}) ──
			</Text>
			{shown.map((line, index) => (
				<Text key={index} wrap="truncate-end">
					{line}
				</Text>
			))}
		</Box>
	);
}
