import {Text} from 'ink';
import type {DashboardState} from '../state/dashboard-state.js';
import {theme} from '../theme.js';

/** One line: what needs attention (error, lock wait, notice), else the keys and modes. */
export function Footer({state, prompt}: {state: DashboardState; prompt?: string}) {
	if (state.quitting) return <Text wrap="truncate-end" {...theme.warning}>quitting: the running step finishes its current batch, then the state is saved…</Text>;
	const modes = [state.autoplay ? 'AUTOPLAY' : '', state.failArmed ? 'FAILURE ARMED' : '', state.paused ? 'PAUSED' : '', state.queued > 0 ? `${state.queued} queued` : ''].filter(Boolean);
	const ended = state.plan?.phase === 'ROLLED_BACK' ? 'rolled back: space starts again with step 1 · q quits' : state.plan?.phase === 'COMPLETE' ? 'COMPLETE · q quits' : undefined;
	const message = state.error ?? state.lockWait ?? state.notice ?? prompt ?? ended;
	const retire = state.traffic?.versions.v1.state === 'live' ? 'v retire v1 · ' : '';
	return (
		<Text wrap="truncate-end">
			{modes.length > 0 ? <Text {...theme.warning}>[{modes.join('] [')}] </Text> : null}
			{message ? (
				<Text {...(state.error ? theme.error : theme.warning)}>{message}</Text>
			) : (
				<Text {...theme.muted}>space next · {retire}r rollback · f fail · a auto · s sql · p pause · +/- batch · ? help · q quit</Text>
			)}
		</Text>
	);
}
