import {Box, Text} from 'ink';
import type {HistoryEntry} from '../../db/state.js';
import {clock, duration} from '../format.js';
import {theme} from '../theme.js';

const tone = (phase: string) => (phase === 'FAILED' || phase === 'ROLLED_BACK' ? theme.error : phase === 'ROLLBACK' ? theme.warning : phase === 'COMPLETE' ? theme.ok : theme.muted);

/** The newest entries that fit, newest last, with time and duration. */
export function HistoryFeed({entries, height, width}: {entries: HistoryEntry[]; height: number; width: number}) {
	if (height <= 0) return null;
	const shown = entries.slice(-height);
	if (shown.length === 0) return <Text wrap="truncate-end" {...theme.muted}>history: nothing has run yet — press space for the first step</Text>;
	return (
		<Box flexDirection="column" width={width}>
			{shown.map((entry, index) => (
				<Text key={`${entry.at}-${index}`} wrap="truncate-end">
					<Text {...theme.muted}>{clock(entry.at)} </Text>
					<Text {...tone(entry.phase)}>{entry.phase.padEnd(12)}</Text>
					{entry.message}
					{entry.durationMs === undefined ? null : <Text {...theme.muted}> ({duration(entry.durationMs)})</Text>}
				</Text>
			))}
		</Box>
	);
}
