import {useInput, useStdin, type Key} from 'ink';
import {useCallback, useRef} from 'react';
import {bindingFor, type KeyAction, type KeyPress} from '../keymap.js';
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

/** What each action does. Steps go through the session's queue, so two never run at once. */
function act(action: KeyAction, press: KeyPress, {state, session, dispatch, page}: KeyContext): void {
	switch (action) {
		case 'next': {
			return session.enqueue('next');
		}

		case 'rollback': {
			return session.enqueue('rollback');
		}

		case 'retire-v1': {
			return session.retireV1();
		}

		case 'switch-view': {
			return void session.switchView();
		}

		case 'switch-table': {
			return dispatch({type: 'switch-table', by: press.by!});
		}

		case 'arm-failure': {
			return session.toggleFailure();
		}

		case 'autoplay': {
			return session.toggleAutoplay();
		}

		case 'sql': {
			return dispatch({type: 'toggle-sql'});
		}

		case 'pause': {
			return session.togglePause();
		}

		case 'batch-size': {
			return session.changeBatchSize(press.by! > 0 ? 1 : -1);
		}

		case 'scroll': {
			return void session.scroll(press.by! * (press.page ? Math.max(1, page) : 1));
		}

		case 'help': {
			// Escape closes the help and does nothing else.
			if (press.special === 'escape') return state.help ? dispatch({type: 'toggle-help', on: false}) : undefined;
			return dispatch({type: 'toggle-help'});
		}

		case 'quit':
	}
}

/** A keypress, looked up in the keymap. Only quit works while loading or quitting. */
export function handleKey(input: string, key: Key, context: KeyContext): void {
	const found = bindingFor(input, key);
	if (!found) return;
	if (found.binding.action === 'quit') return context.quit();
	if (context.state.loading !== undefined || context.state.quitting) return;
	act(found.binding.action, found.press, context);
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
		for (const each of plain ? [...input] : [input]) handleKey(each, plain ? {...key, return: each === '\r', tab: each === '\t'} : key, latest.current);
	}, []);
	useInput(onInput, {isActive: isRawModeSupported === true});
}
