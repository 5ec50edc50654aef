/** One line of the bench table: a figure, its target, and whether it meets it. */
export interface Figure {
	section: string;
	name: string;
	/** undefined when not measured (n/a); the note says why. */
	value?: number;
	unit: 'ms' | 's' | 'MB' | '×' | 'rows/s' | '%' | 'µs' | 'B' | '';
	/** The target as the issue states it, e.g. "< 150 ms", "≥ 0.9×"; '' for context figures. */
	target: string;
	/** value ÷ target bound: under 1 is good for "<" targets, over 1 for "≥" targets. */
	ratio?: number;
	pass?: boolean;
	note?: string;
}

export function below(section: string, name: string, value: number | undefined, limit: number, unit: Figure['unit'], note?: string): Figure {
	if (value === undefined) return {section, name, unit, target: `< ${limit} ${unit}`, note};
	return {section, name, value, unit, target: `< ${limit} ${unit}`, ratio: value / limit, pass: value < limit, note};
}

export function atMost(section: string, name: string, value: number | undefined, limit: number, unit: Figure['unit'], note?: string): Figure {
	if (value === undefined) return {section, name, unit, target: `≤ ${limit} ${unit}`, note};
	return {section, name, value, unit, target: `≤ ${limit} ${unit}`, ratio: value / limit, pass: value <= limit, note};
}

export function atLeast(section: string, name: string, value: number | undefined, bound: number, unit: Figure['unit'], note?: string): Figure {
	if (value === undefined) return {section, name, unit, target: `≥ ${bound}${unit === '×' ? '×' : ` ${unit}`}`, note};
	return {section, name, value, unit, target: `≥ ${bound}${unit === '×' ? '×' : ` ${unit}`}`, ratio: value / bound, pass: value >= bound, note};
}

export function context(section: string, name: string, value: number | undefined, unit: Figure['unit'], note?: string): Figure {
	return {section, name, value, unit, target: '', note};
}

function formatValue(figure: Figure): string {
	if (figure.value === undefined) return 'n/a';
	const {value, unit} = figure;
	const digits = unit === '×' ? 2 : unit === '%' ? 0 : Math.abs(value) >= 100 || unit === 'rows/s' ? 0 : Math.abs(value) >= 10 ? 1 : 2;
	return `${value.toFixed(digits)}${unit === '×' || unit === '%' ? unit : unit ? ` ${unit}` : ''}`;
}

/** A plain-text table, one section after another; also valid Markdown. */
export function formatTable(figures: Figure[]): string {
	const rows = figures.map(figure => [
		figure.section,
		figure.name,
		formatValue(figure),
		figure.target,
		figure.ratio === undefined ? '' : figure.ratio.toFixed(2),
		figure.pass === undefined ? (figure.target && figure.value === undefined ? 'n/a' : '') : figure.pass ? 'ok' : 'MISSED',
		figure.note ?? '',
	]);
	const header = ['scenario', 'figure', 'measured', 'target', 'ratio', 'verdict', 'note'];
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map(row => row[column]!.length)));
	const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
	return [line(header), `|${widths.map(width => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(row => line(row))].join('\n');
}
