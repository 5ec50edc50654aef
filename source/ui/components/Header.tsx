import {Box, Text} from 'ink';
import type {MigrationPhase} from '../../core/phase.js';
import {theme} from '../theme.js';

export interface HeaderProps {
	id: string;
	title: string;
	phase: MigrationPhase;
	database: string;
	width: number;
}

/** Migration, phase badge (brackets keep it readable without colour), and where the rows are. */
export function Header({id, title, phase, database, width}: HeaderProps) {
	const badge = `[${phase}]`;
	return (
		<Box width={width}>
			<Box flexGrow={1} flexShrink={1}>
				<Text wrap="truncate-end">
					<Text bold>{id}</Text> {title}
				</Text>
			</Box>
			<Box flexShrink={0} marginLeft={1}>
				<Text {...theme.phaseBadge(phase)}>{badge}</Text>
				<Text {...theme.muted}> {database}</Text>
			</Box>
		</Box>
	);
}
