import {Box, Text} from 'ink';
import {cellId, type UsersWindow} from '../state/users-window.js';
import {fit, int} from '../format.js';
import {theme} from '../theme.js';

export interface UsersTableProps {
	window?: UsersWindow;
	changed: Set<string>;
	newColumns: string[];
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

/** The first rows by primary key, as the database has them now; cells the last step changed stand out. */
export function UsersTable({window, changed, newColumns, height, width}: UsersTableProps) {
	if (height <= 0) return null;
	if (!window) return <Text wrap="truncate-end" {...theme.muted}>reading the table…</Text>;
	if (window.unavailable) return <Text wrap="truncate-end" {...theme.muted}>{window.unavailable}</Text>;
	const rows = window.rows.slice(0, height);
	const widths = columnWidths(window, rows, width);
	const first = window.rows[0]?.key;
	const title = `${window.table} · ~${int(window.estimatedRows)} rows${first === undefined ? '' : ` · from ${window.key} ${first}`} · ↑↓ PgUp/PgDn`;
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
