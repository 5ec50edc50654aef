/** Latencies in milliseconds, summarised the way the targets are stated. */
export interface LatencySummary {
	count: number;
	p50: number;
	p99: number;
	max: number;
}

export function percentile(sorted: number[], fraction: number): number {
	if (sorted.length === 0) return 0;
	const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
	return sorted[index]!;
}

export function summarise(samples: number[]): LatencySummary {
	const sorted = [...samples].sort((a, b) => a - b);
	return {count: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? 0};
}

export const median = (values: number[]): number => percentile([...values].sort((a, b) => a - b), 0.5);

export const sleep = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Time an async function in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ms: number; result: T}> {
	const started = performance.now();
	const result = await work();
	return {ms: performance.now() - started, result};
}
