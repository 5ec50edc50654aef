import {median} from './stats.js';
import {spawnInPty, visibleText} from './pty.js';
import {cli} from './startup.js';

export interface KeypressResult {
	/** Median keypress-to-frame, ms; undefined when it could not be measured (note says why). */
	medianMs?: number;
	maxMs?: number;
	note?: string;
}

/**
 * Open the dashboard, wait until the screen is still, then press `?` (help on, help off) and time
 * each press to the next frame written. A screen that never goes still (a live panel) is waited
 * out between presses, so each press is timed against a quiet terminal.
 */
export async function keypressLatency(args: string[], presses = 8): Promise<KeypressResult> {
	// No simulated application: its panel redraws all the time, and the screen must go still to time a key.
	const app = spawnInPty(`${process.execPath} ${cli} --traffic 0 ${args.join(' ')}`);
	try {
		const first = await app.nextOutput(app.started, 30_000);
		if (first === undefined) return {note: 'the dashboard wrote nothing'};
		// Loading (PGlite start, catalog) ends when the steps are on screen.
		const deadline = performance.now() + 60_000;
		while (!/step/i.test(app.screen()) && performance.now() < deadline && !app.exited()) await new Promise(resolve => setTimeout(resolve, 50));
		if (app.exited() || !/step/i.test(app.screen())) return {note: `dashboard not ready: "${app.screen().slice(0, 60)}"`};
		// Whatever it loads after the first steps appear (row counts, the table window) settles first.
		if (!(await app.quiet(500, 30_000))) return {note: 'the screen never went still after loading'};
		const times: number[] = [];
		for (let i = 0; i < presses; i++) {
			if (!(await app.quiet(250, 5000))) return {note: 'the screen never went still for 250 ms'};
			const pressed = performance.now();
			app.write('?');
			const frame = await app.nextOutput(pressed, 3000);
			if (frame === undefined) return {note: `no frame within 3 s of a keypress (press ${i + 1})`};
			times.push(frame - pressed);
		}

		return {medianMs: median(times), maxMs: Math.max(...times)};
	} finally {
		await app.stop();
	}
}

export {visibleText};
