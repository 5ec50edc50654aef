import {Box, Text} from 'ink';
import {keymap} from '../keymap.js';
import {theme} from '../theme.js';

export function HelpOverlay({height, width}: {height: number; width: number}) {
	const lines = keymap.slice(0, Math.max(0, height - 1));
	return (
		<Box flexDirection="column" width={width}>
			<Text {...theme.accent}>keys (? closes)</Text>
			{lines.map(({keys, label}) => (
				<Text key={keys} wrap="truncate-end">
					<Text bold>{keys.padEnd(15)}</Text>
					{label}
				</Text>
			))}
		</Box>
	);
}
