import {Box, Text} from 'ink';
import type {MigrationPhase} from '../../core/phase.js';
import {theme} from '../theme.js';

export interface HeaderProps {
	id: string;
	title: string;
	phase: MigrationPhase;
	database: string;
	/** The schema the new application version (v2) puts on its search_path. */
	versionSchema?: string;
	width: number;
}

/** Migration, phase badge (brackets keep it readable without colour), v2's schema, and where the rows are. */
export function Header({id, title, phase, database, versionSchema, width}: HeaderProps) {
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
				{/* A rollback dropped the schema: until the next start there is none for v2 to use. */}
				{versionSchema ? <Text> {phase === 'ROLLED_BACK' ? `v2's "${versionSchema}" dropped` : `v2 uses "${versionSchema}"`}</Text> : null}
				<Text {...theme.muted}> · {database}</Text>
			</Box>
		</Box>
	);
}
