import {dashboardReducer, initialState, type DashboardAction, type DashboardState} from './dashboard-state.js';

/**
 * An external store: the session (plain async code) dispatches executor events into it, React
 * reads it with useSyncExternalStore. Renders are throttled by Ink, so frequent batches are cheap.
 */
export interface DashboardStore {
	getState(): DashboardState;
	dispatch(action: DashboardAction): void;
	subscribe(listener: () => void): () => void;
}

export function createStore(state: DashboardState = initialState()): DashboardStore {
	const listeners = new Set<() => void>();
	return {
		getState: () => state,
		dispatch(action) {
			state = dashboardReducer(state, action);
			for (const listener of listeners) listener();
		},
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
	};
}
