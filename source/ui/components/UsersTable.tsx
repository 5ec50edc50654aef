import {Box, Text} from 'ink';
import type {VersionName} from '../../traffic/index.js';
import {cellId, type UsersWindow} from '../state/users-window.js';
import {fit, int} from '../format.js';
import {theme} from '../theme.js';

export interface UsersTableProps {
	window?: UsersWindow;
	changed: Set<string>;
	newColumns: string[];
	/** Whose view of the table this is: v1's (its old schema) or v2's (its version schema). */
	version?: VersionName;
	/** Which of the plan's tables this is, when it touches several (`[` / `]` move). */
	place?: {index: number; count: number};
	/** Rows under the header. */
	height: number;
	width: number;
}

const maxColumnWidth = 28;
const nullText = 'NULL';

/** Each column as wide as its header or widest shown value, capped; the last ones are cut to fit. */
export function columnWidths(window: UsersWindow, rows: UsersWindow['rows'], width: number): number[] {
	const widths = window.columns.map(column => Math.min(maxColumnWidth, Math.max(column.length, ...rows.map(row => [...(row.cells[column] ?? nullText)].length + 1))));
	let left = width;
	return widths.map(each => {
		const given = Math.max(0, Math.min(each, left));
		left -= given + 1;
		return given;
	});
}

/** A name as SQL would need it written: bare when it can be, else quoted. */
const sqlName = (name: string) => (/^[a-z_][\d_a-z]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);

/**
 * The first rows by primary key, as the database has them now and as one application version
 * sees them (the title names the schema); cells the last step changed stand out.
 */
export function UsersTable({window, changed, newColumns, version, place, height, width}: UsersTableProps) {
	if (height <= 0) return null;
	if (!window) return <Text wrap="truncate-end" {...theme.muted}>reading the table…</Text>;
	const where = `${version ? `${version} sees ` : ''}${sqlName(window.schema)}.${sqlName(window.table)}`;
	const which = place && place.count > 1 ? ` · table ${place.index + 1}/${place.count} [ ]` : '';
	if (window.unavailable) return <Text wrap="truncate-end" {...theme.muted}>{where}{which}: {window.unavailable}</Text>;
	const rows = window.rows.slice(0, height);
	// The columns leave room for the title's schema: which view this is matters more than a last column.
	const widths = columnWidths(window, rows, width - Math.min(where.length + 2, Math.floor(width / 2)));
	const first = window.rows[0]?.key;
	const paging = window.key ? `${first === undefined ? '' : ` · from ${window.key} ${first}`} · ↑↓ PgUp/PgDn` : ' · no key: its first rows only';
	const title = `${where}${which} · ~${int(window.estimatedRows)} rows${paging}`;
	return (
		<Box flexDirection="column" width={width}>
			<Text wrap="truncate-end">
				{window.columns.map((column, index) =>
					widths[index]! > 0 ? (
						<Text key={column} {...(newColumns.includes(column) ? theme.changed : theme.accent)}>
							{fit(column, widths[index]!)}{' '}
						</Text>
					) : null,
				)}
				<Text {...theme.muted}>{title}</Text>
			</Text>
			{rows.map(row => (
				<Text key={row.key} wrap="truncate-end">
					{window.columns.map((column, index) => {
						if (widths[index]! <= 0) return null;
						const value = row.cells[column];
						const isChanged = changed.has(cellId(row.key, column));
						const text = (value ?? nullText) + (isChanged ? theme.changedSuffix : '');
						return (
							<Text key={column} {...(isChanged ? theme.changed : value === null ? theme.muted : {})}>
								{fit(text, widths[index]!)}{' '}
							</Text>
						);
					})}
				</Text>
			))}
		</Box>
	);
}
