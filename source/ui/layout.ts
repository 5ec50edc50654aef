/** How many lines each panel gets, so the live frame stays shorter than the terminal. */
export interface Layout {
	width: number;
	steps: number;
	/** Lines of SQL under its title (0: no SQL panel). */
	sql: number;
	/** Table rows under its header. */
	table: number;
	/** History (or lint findings) lines. */
	feed: number;
	/** Lines of the traffic panel (0: hidden; it needs at least v1's and v2's lines). */
	traffic: number;
}

/** Header, why line, two progress lines, footer. */
const fixedLines = 5;

/** What the panels below the traffic need at the least to stay readable. */
const roomBesideTraffic = 10;

export function computeLayout(rows: number, columns: number, want: {steps: number; sql: number; traffic?: number}): Layout {
	// One line short of the terminal: a frame that reaches its height makes Ink 6 clear and flicker.
	const whole = Math.max(0, rows - 1 - fixedLines);
	// The traffic panel shrinks, then hides, on a small terminal: the migration comes first.
	const room = Math.min(want.traffic ?? 0, Math.max(0, whole - roomBesideTraffic));
	const traffic = room >= 2 ? room : 0;
	const budget = whole - traffic;
	const steps = Math.min(want.steps, Math.max(3, Math.floor(budget * 0.4)));
	let rest = Math.max(0, budget - steps);
	const sqlTitle = want.sql > 0 && rest >= 6 ? 1 : 0;
	rest -= sqlTitle;
	const sql = sqlTitle ? Math.min(want.sql, Math.max(1, Math.floor((rest + sqlTitle) * 0.3))) : 0;
	rest -= sql;
	const tableHeader = rest >= 2 ? 1 : 0;
	rest -= tableHeader;
	const table = tableHeader ? Math.max(1, Math.ceil(rest * 0.5)) : 0;
	const feed = Math.max(0, rest - table);
	return {width: Math.max(20, columns), steps, sql, table, feed, traffic};
}
