import {Box, Text} from 'ink';
import {theme} from '../theme.js';

export const keymap: Array<[string, string]> = [
	['space / enter', 'run the next step (queued while one runs)'],
	['r', 'roll back everything executed so far, newest first'],
	['v', 'retire v1, the old application: before contract, which removes what v1 needs'],
	['f', 'arm a failure on the next step, to watch the rollback'],
	['a', 'autoplay on/off (--autoplay, --speed MS)'],
	['s', 'show the next step’s forward / rollback SQL'],
	['p', 'pause / resume the backfill between batches'],
	['+ / -', 'double / halve the backfill batch size (stops adapting)'],
	['↑ ↓ PgUp PgDn', 'scroll the table'],
	['?', 'this help'],
	['q / ctrl-c', 'quit: a running backfill stops after its batch; the next start resumes'],
];

export function HelpOverlay({height, width}: {height: number; width: number}) {
	const lines = keymap.slice(0, Math.max(0, height - 1));
	return (
		<Box flexDirection="column" width={width}>
			<Text {...theme.accent}>keys (? closes)</Text>
			{lines.map(([key, what]) => (
				<Text key={key} wrap="truncate-end">
					<Text bold>{key.padEnd(15)}</Text>
					{what}
				</Text>
			))}
		</Box>
	);
}
