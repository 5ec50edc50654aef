import {sleep, summarise, type LatencySummary} from './stats.js';

/** One statement an application writer sends: an UPDATE or INSERT of a single row. */
export type WriteStatement = (kind: 'update' | 'insert', id: number) => Promise<unknown>;

/** An application's write load: how many connections, and the pause between one's writes. */
export interface WriterSettings {
	writers: number;
	pauseMs: number;
}

export interface WriterOptions {
	/** Concurrent writers, each on its own connection (or its own turn on PGlite). */
	writers: number;
	/** Ids to pick from: 1..maxId. */
	maxId: number;
	/** Pause between one writer's statements: a bounded rate, not a CPU hog competing with the backfill. */
	pauseMs: number;
	/** Share of inserts among the writes. */
	insertShare?: number;
}

export interface WriterLoad {
	/** Stop the writers and wait for their last statement; returns every write's latency. */
	stop(): Promise<WriterResult>;
	/**
	 * The latencies of writes due since the last take (or the start) and, with `dueBefore`, before
	 * that moment (a window that ended a little earlier, so stuck writes had time to finish); then
	 * start afresh from now.
	 */
	take(dueBefore?: number): WriterResult;
}

export interface WriterResult extends LatencySummary {
	errors: number;
	firstError?: string;
	/** When the longest write ended (performance.now()), to tell what the contender was doing then. */
	longestEndedAt?: number;
}

/**
 * Application writers: each loops over single-row writes by random id and records each
 * statement's latency. A write stuck behind a lock shows up as one long latency.
 */
export function startWriters(statementFor: (writer: number) => WriteStatement, options: WriterOptions): WriterLoad {
	let running = true;
	// Each write with the time it was due, so a window counts only the writes due inside it.
	let latencies: Array<{due: number; ms: number}> = [];
	let windowStart = performance.now();
	let errors = 0;
	let firstError: string | undefined;
	const loops = Array.from({length: options.writers}, async (_, writer) => {
		const write = statementFor(writer);
		let due = performance.now();
		while (running) {
			const kind = Math.random() < (options.insertShare ?? 0.2) ? 'insert' : 'update';
			const id = 1 + Math.floor(Math.random() * options.maxId);
			try {
				await write(kind, id);
				// From when the write was due, not when the loop got round to it: on PGlite a long
				// statement blocks this very event loop, and that delay is part of the wait.
				latencies.push({due, ms: performance.now() - due});
			} catch (error) {
				errors++;
				firstError ??= error instanceof Error ? error.message : String(error);
			}

			due = performance.now() + options.pauseMs;
			// Unpaused writers (pgbench-style) go straight on: even setTimeout(0) would idle a millisecond.
			if (options.pauseMs > 0) await sleep(options.pauseMs);
		}
	});
	return {
		take(dueBefore = Infinity) {
			const window = latencies.filter(sample => sample.due >= windowStart && sample.due < dueBefore);
			const longest = window.reduce<{due: number; ms: number} | undefined>((found, sample) => (found && found.ms >= sample.ms ? found : sample), undefined);
			const result = {...summarise(window.map(sample => sample.ms)), errors, firstError, longestEndedAt: longest && longest.due + longest.ms};
			windowStart = performance.now();
			latencies = latencies.filter(sample => sample.due >= windowStart);
			errors = 0;
			firstError = undefined;
			return result;
		},
		async stop() {
			running = false;
			await Promise.all(loops);
			return this.take();
		},
	};
}
