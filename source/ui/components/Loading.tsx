import {Box, Text} from 'ink';
import Spinner from 'ink-spinner';
import {theme} from '../theme.js';

/** Starting PGlite takes seconds: say what is happening rather than show a blank screen. */
export function Loading({what}: {what: string}) {
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text {...theme.accent}>
					<Spinner type="dots" />
				</Text>{' '}
				{what}
			</Text>
			<Text wrap="truncate-end" {...theme.muted}>
				zdm-tui · zero-downtime schema changes, one keypress at a time
			</Text>
		</Box>
	);
}
