import {useInput, useStdin, type Key} from 'ink';
import {useCallback, useRef} from 'react';
import type {DashboardSession} from '../session.js';
import type {DashboardAction, DashboardState} from '../state/dashboard-state.js';

export interface KeyContext {
	state: DashboardState;
	session: DashboardSession;
	dispatch: (action: DashboardAction) => void;
	/** Rows the table shows: PgUp/PgDn move by this much. */
	page: number;
	quit: () => void;
}

/** What a key does. Steps go through the session's queue, so two never run at once. */
export function handleKey(input: string, key: Key, {state, session, dispatch, page, quit}: KeyContext): void {
	if (input === 'q' || (key.ctrl && input === 'c')) return quit();
	if (state.loading !== undefined || state.quitting) return;
	if (state.help && (input === '?' || key.escape)) return dispatch({type: 'toggle-help', on: false});
	if (input === ' ' || key.return) return session.enqueue('next');
	if (key.upArrow) return void session.scroll(-1);
	if (key.downArrow) return void session.scroll(1);
	if (key.pageUp) return void session.scroll(-Math.max(1, page));
	if (key.pageDown) return void session.scroll(Math.max(1, page));
	switch (input) {
		case 'r': {
			return session.enqueue('rollback');
		}

		case 'v': {
			return session.retireV1();
		}

		case 'f': {
			return session.toggleFailure();
		}

		case 'a': {
			return session.toggleAutoplay();
		}

		case 's': {
			return dispatch({type: 'toggle-sql'});
		}

		case 'p': {
			return session.togglePause();
		}

		case '+':
		case '=': {
			return session.changeBatchSize(1);
		}

		case '-':
		case '_': {
			return session.changeBatchSize(-1);
		}

		case '?': {
			return dispatch({type: 'toggle-help'});
		}

		default:
	}
}

/** Keys only where the terminal can deliver them one at a time (raw mode). */
export default function useKeys(context: KeyContext) {
	const {isRawModeSupported} = useStdin();
	// A stable handler reading the latest context: no re-subscription on every frame.
	const latest = useRef(context);
	latest.current = context;
	const onInput = useCallback((input: string, key: Key) => {
		// Keys typed faster than a frame arrive as one chunk: each still counts.
		const plain = input.length > 1 && !key.ctrl && !key.meta && !input.startsWith('[');
		for (const each of plain ? [...input] : [input]) handleKey(each, plain ? {...key, return: each === '\r'} : key, latest.current);
	}, []);
	useInput(onInput, {isActive: isRawModeSupported === true});
}
