import {build, type Histogram} from 'hdr-histogram-js';
import type {VersionName} from './values.js';

/** Where a version is in its life: v2 waits for expand to finish, v1 is retired before contract. */
export type VersionState = 'waiting' | 'live' | 'retired';

export interface VersionMetrics {
	version: VersionName;
	state: VersionState;
	/** The columns it reads and writes now, for showing. */
	columns: string[];
	requests: number;
	errors: number;
	lastError?: string;
	/** Requests not sent because the backlog was full: the application would have timed out. */
	shed: number;
	/** Completed requests per second over the time the version was live. */
	rps: number;
	p50Ms: number;
	p99Ms: number;
	/** The longest any request waited, from when it was due to when it was answered. */
	maxWaitMs: number;
}

export interface Verdict {
	zeroDowntime: boolean;
	thresholdMs: number;
	/** Why not, one short phrase each; empty when zero downtime held. */
	reasons: string[];
}

/**
 * One version's counters. Latencies go into an HDR histogram (microseconds, 3 significant
 * digits): percentiles over a whole run in fixed memory, whatever its length.
 */
export class VersionRecorder {
	readonly histogram: Histogram = build({lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3});
	requests = 0;
	errors = 0;
	shed = 0;
	lastError?: string;
	private liveMs = 0;
	private liveSince?: number;

	constructor(readonly version: VersionName) {}

	/** Start or stop the clock that requests per second are measured over. */
	live(on: boolean, now = performance.now()) {
		if (on && this.liveSince === undefined) this.liveSince = now;
		if (!on && this.liveSince !== undefined) {
			this.liveMs += now - this.liveSince;
			this.liveSince = undefined;
		}
	}

	record(waitMs: number, error?: unknown) {
		this.requests++;
		this.histogram.recordValue(Math.max(1, Math.round(waitMs * 1000)));
		if (error !== undefined) {
			this.errors++;
			this.lastError = errorLine(error);
		}
	}

	metrics(state: VersionState, columns: string[], now = performance.now()): VersionMetrics {
		const liveMs = this.liveMs + (this.liveSince === undefined ? 0 : now - this.liveSince);
		const ms = (micros: number) => Math.round(micros / 10) / 100;
		const empty = this.requests === 0;
		// A percentile is its bucket's upper edge, which may pass the exact maximum: never show p99 > max.
		const at = (percentile: number) => ms(Math.min(this.histogram.getValueAtPercentile(percentile), this.histogram.maxValue));
		return {
			version: this.version,
			state,
			columns,
			requests: this.requests,
			errors: this.errors,
			...(this.lastError ? {lastError: this.lastError} : {}),
			shed: this.shed,
			rps: liveMs > 0 ? Math.round((this.requests / liveMs) * 10_000) / 10 : 0,
			p50Ms: empty ? 0 : at(50),
			p99Ms: empty ? 0 : at(99),
			maxWaitMs: empty ? 0 : ms(this.histogram.maxValue),
		};
	}
}

/** A driver error as one line, with its SQLSTATE when it has one. */
export function errorLine(error: unknown): string {
	const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
	const code = error && typeof error === 'object' && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
	return code && /^[\dA-Z]{5}$/.test(code) ? `${code} ${message}` : message;
}

/** Zero downtime: no request failed, none was shed, and none waited longer than the threshold. */
export function verdictOf(versions: VersionMetrics[], thresholdMs: number): Verdict {
	const reasons: string[] = [];
	for (const v of versions) {
		if (v.errors > 0) reasons.push(`${v.version}: ${v.errors} error${v.errors === 1 ? '' : 's'}${v.lastError ? ` (${v.lastError})` : ''}`);
		if (v.shed > 0) reasons.push(`${v.version}: ${v.shed} requests shed`);
		if (v.maxWaitMs > thresholdMs) reasons.push(`${v.version}: waited ${Math.round(v.maxWaitMs)} ms > ${thresholdMs} ms`);
	}

	return {zeroDowntime: reasons.length === 0, thresholdMs, reasons};
}
