import {Box, Text} from 'ink';
import type {Finding} from '../../core/lint/index.js';
import {theme} from '../theme.js';

/** Lint findings, shown before the first step runs. */
export function Findings({findings, height, width}: {findings: Finding[]; height: number; width: number}) {
	if (height <= 0 || findings.length === 0) return null;
	const shown = findings.slice(0, height);
	return (
		<Box flexDirection="column" width={width}>
			{shown.map((finding, index) => (
				<Text key={index} wrap="truncate-end">
					<Text {...(finding.severity === 'error' ? theme.error : theme.warning)}>{finding.severity === 'error' ? '✗ error' : '! warning'}</Text> {finding.rule}: {finding.message} — {finding.hint}
				</Text>
			))}
		</Box>
	);
}
