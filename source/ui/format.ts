/** Small text helpers shared by the panels. */
export const int = (value: number) => Math.round(value).toLocaleString('en-US');

export const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);

/** HH:MM:SS in local time, from a timestamp the database gave. */
export function clock(at: string): string {
	const date = new Date(at);
	if (Number.isNaN(date.getTime())) return '--:--:--';
	return [date.getHours(), date.getMinutes(), date.getSeconds()].map(part => String(part).padStart(2, '0')).join(':');
}

export function bar(fraction: number, width: number): string {
	const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
	return '█'.repeat(filled) + '░'.repeat(Math.max(0, width - filled));
}

/** Cut to a width with an ellipsis, pad to it. */
export function fit(text: string, width: number): string {
	if (width <= 0) return '';
	const chars = [...text];
	if (chars.length <= width) return text + ' '.repeat(width - chars.length);
	return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}
