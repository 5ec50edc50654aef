import {useApp} from 'ink';
import {useCallback, useEffect, useRef, useState} from 'react';
import type {CommandFlags} from '../commands/options.js';
import type {Database} from '../db/database.js';
import {Loading} from './components/Loading.js';
import {Screen, layoutFor} from './Screen.js';
import useExecutor from './hooks/use-executor.js';
import useKeys from './hooks/use-keys.js';
import useTerminalSize from './hooks/use-terminal-size.js';

export interface AppProps {
	planPath: string;
	flags: CommandFlags;
	/** SIGTERM and friends: leave the same way `q` does. */
	signal?: AbortSignal;
	open?: (flags: CommandFlags, progress: (what: string) => void) => Promise<Database>;
	/** How the app leaves: an exit code, or the error that stopped it from starting. */
	onExit(result: {code: number} | {error: unknown}): void;
}

/** The one lifecycle root: the only place that ends the app. */
export function App({planPath, flags, signal, open, onExit}: AppProps) {
	const {exit} = useApp();
	const leaving = useRef(false);
	// A start that failed leaves no frame behind: the CLI prints its one-line error alone.
	const [failed, setFailed] = useState(false);
	const size = useTerminalSize();
	const onFatal = useCallback((error: unknown) => {
		if (leaving.current) return;
		leaving.current = true;
		setFailed(true);
		void session.quit().finally(() => {
			onExit({error});
			exit();
		});
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, []);
	const {state, session, dispatch} = useExecutor({planPath, flags, open, onFatal});
	const quit = useCallback(() => {
		if (leaving.current) return;
		leaving.current = true;
		void session.quit().then(
			code => {
				onExit({code});
				exit();
			},
			(error: unknown) => {
				onExit({error});
				exit();
			},
		);
	}, [session]);
	useEffect(() => {
		if (!signal) return;
		if (signal.aborted) quit();
		signal.addEventListener('abort', quit);
		return () => signal.removeEventListener('abort', quit);
	}, [signal, quit]);
	const layout = layoutFor(state, size);
	useKeys({state, session, dispatch, page: layout.table, quit});
	if (failed) return null;
	if (state.loading !== undefined) return <Loading what={state.loading} />;
	return <Screen state={state} layout={layout} />;
}
