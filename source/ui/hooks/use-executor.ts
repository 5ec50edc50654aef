import {useEffect, useMemo, useSyncExternalStore} from 'react';
import {DashboardSession, type SessionOptions} from '../session.js';
import {initialState} from '../state/dashboard-state.js';
import {createStore} from '../state/store.js';

export interface UseExecutorOptions extends SessionOptions {
	/** Called once when the session cannot start (bad plan, database busy): the app leaves with it. */
	onFatal(error: unknown): void;
}

/** One session per mounted dashboard: starts it after the first frame, exposes its store's state. */
export default function useExecutor(options: UseExecutorOptions) {
	const {store, session} = useMemo(() => {
		const store = createStore(initialState(options.flags.autoplay));
		return {store, session: new DashboardSession(store, options)};
		// The session lives as long as the dashboard: options are read once.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, []);
	const state = useSyncExternalStore(store.subscribe, store.getState);
	useEffect(() => {
		session.start().catch((error: unknown) => options.onFatal(error));
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [session]);
	return {state, session, dispatch: store.dispatch};
}
