import type {DashboardStore} from '../state/store.js';

export type Command = 'next' | 'rollback';

/**
 * Space / Enter and `r` run one at a time, in the order pressed; autoplay presses Space on a
 * timer whenever nothing is running or waiting. The store shows what is running and queued.
 */
export class CommandQueue {
	private readonly waiting: Command[] = [];
	private current?: Promise<void>;
	private autoplayTimer?: NodeJS.Timeout;

	constructor(
		private readonly store: DashboardStore,
		/** Runs one command; the next waits until it settles. */
		private readonly execute: (command: Command) => Promise<void>,
		/** False while no command may be queued (not started yet, quitting, closed). */
		private readonly accepting: () => boolean,
		/** Pause between autoplayed steps. */
		private readonly autoplayDelayMs: number,
	) {}

	private get state() {
		return this.store.getState();
	}

	/** The command running now, if any. */
	get running(): Promise<void> | undefined {
		return this.current;
	}

	/** Queued behind a running command, never run alongside it. */
	enqueue(command: Command) {
		if (!this.accepting()) return;
		this.waiting.push(command);
		this.pump();
	}

	private pump() {
		if (this.current) {
			this.store.dispatch({type: 'queue', busy: true, queued: this.waiting.length});
			return;
		}

		const command = this.waiting.shift();
		if (!command) return;
		this.store.dispatch({type: 'queue', busy: true, queued: this.waiting.length});
		this.current = this.execute(command).finally(() => {
			this.current = undefined;
			this.store.dispatch({type: 'queue', busy: false, queued: this.waiting.length});
			if (this.waiting.length > 0) this.pump();
			else if (this.state.autoplay) this.scheduleAutoplay(this.autoplayDelayMs);
		});
	}

	scheduleAutoplay(delayMs: number) {
		clearTimeout(this.autoplayTimer);
		this.autoplayTimer = setTimeout(() => {
			if (this.state.autoplay && !this.current && this.waiting.length === 0) this.enqueue('next');
		}, delayMs);
	}

	/** Keys queued before a failure meant "go on", not "start again": drop them. */
	stopAfterFailure() {
		this.waiting.length = 0;
		this.stopAutoplay();
	}

	stopAutoplay() {
		clearTimeout(this.autoplayTimer);
		if (this.state.autoplay) this.store.dispatch({type: 'autoplay', on: false});
	}

	toggleAutoplay() {
		const on = !this.state.autoplay;
		this.store.dispatch({type: 'autoplay', on});
		if (on && !this.current) this.scheduleAutoplay(0);
		else if (!on) clearTimeout(this.autoplayTimer);
	}

	/** On quit: no timer fires and nothing waiting runs; the running command is left to finish. */
	close() {
		clearTimeout(this.autoplayTimer);
		this.waiting.length = 0;
	}
}
