import type {Queryable} from '../../db/database.js';
import type {DashboardStore} from '../state/store.js';
import {moveWindow, readUsersWindow, type Shape, type WindowRequest} from './users-window.js';

/** Rows read per refresh: more than any terminal shows, few enough to cost nothing. */
export const windowRows = 60;
/** Batches arrive many times a second; the table is re-read at most this often. */
const refreshEveryMs = 200;

/**
 * Keeps the store's table window in step with the database: after each step (refresh), during a
 * backfill (refreshSoon, throttled), as the person scrolls or switches between v1's and v2's view
 * (columnsMayChange, then refresh). One read at a time.
 */
export class TableView {
	private refreshing?: Promise<void>;
	private refreshAgain = false;
	private lastRefresh = 0;
	private trailing?: NodeJS.Timeout;
	private scrolling: Promise<void> = Promise.resolve();
	private shape?: Shape;
	/** Bumped whenever the columns may change, so a read that straddles DDL never keeps its shape. */
	private shapeGeneration = 0;
	private closed = false;

	constructor(
		private readonly db: Queryable,
		private readonly store: DashboardStore,
		/** Which table, as which schema shows it: read afresh on every refresh. */
		private readonly shown: () => Pick<WindowRequest, 'schema' | 'table' | 'missing' | 'absent'>,
	) {}

	/** A step ran DDL (or may have): the next read looks at the columns again. */
	columnsMayChange() {
		this.shape = undefined;
		this.shapeGeneration++;
	}

	/** For batches: re-read at most every refreshEveryMs, with a trailing read after the last one. */
	refreshSoon() {
		const wait = this.lastRefresh + refreshEveryMs - Date.now();
		if (wait <= 0) {
			void this.refresh();
			return;
		}

		this.trailing ??= setTimeout(() => {
			this.trailing = undefined;
			void this.refresh();
		}, wait);
	}

	/**
	 * Re-read the window, from `after` or from where it is now (from the first row when the panel has
	 * moved to another table); a request during a read is served once after it.
	 */
	async refresh(after?: string | null): Promise<void> {
		if (this.closed) return;
		if (this.refreshing) {
			this.refreshAgain = true;
			return this.refreshing;
		}

		this.lastRefresh = Date.now();
		this.refreshing = (async () => {
			try {
				const generation = this.shapeGeneration;
				const shown = this.shown();
				const current = this.store.getState().users;
				const from = after !== undefined ? after : current?.table === shown.table ? current.after : null;
				const {shape, ...window} = await readUsersWindow(this.db, {...shown, after: from, limit: windowRows}, this.shape);
				if (generation === this.shapeGeneration) this.shape = shape;
				this.store.dispatch({type: 'users', window});
			} catch (error) {
				if (!this.closed) this.store.dispatch({type: 'error', message: `reading the table: ${(error as Error).message.split('\n')[0]}`});
			} finally {
				this.refreshing = undefined;
			}
		})();
		await this.refreshing;
		if (this.refreshAgain && !this.closed) {
			this.refreshAgain = false;
			await this.refresh();
		}
	}

	/** Scrolls run one after another, each from where the previous one left the window. */
	scroll(by: number): Promise<void> {
		this.scrolling = this.scrolling
			.then(async () => {
				const window = this.store.getState().users;
				if (!window || this.closed) return;
				const after = await moveWindow(this.db, window, by);
				if (after !== window.after) await this.refresh(after);
			})
			.catch(() => {});
		return this.scrolling;
	}

	/** Stop reading; resolves once no read is in flight, so the database can close. */
	async close() {
		this.closed = true;
		clearTimeout(this.trailing);
		await this.refreshing;
		await this.scrolling;
	}
}
