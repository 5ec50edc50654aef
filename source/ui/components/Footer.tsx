import {Text} from 'ink';
import {keymap} from '../keymap.js';
import type {DashboardState} from '../state/dashboard-state.js';
import {theme} from '../theme.js';

/** One line: what needs attention (error, lock wait, notice), else the keys and modes. */
export function Footer({state, prompt}: {state: DashboardState; prompt?: string}) {
	if (state.quitting) return <Text wrap="truncate-end" {...theme.warning}>quitting: the running step finishes its current batch, then the state is saved…</Text>;
	const modes = [state.autoplay ? 'AUTOPLAY' : '', state.failArmed ? 'FAILURE ARMED' : '', state.paused ? 'PAUSED' : '', state.queued > 0 ? `${state.queued} queued` : ''].filter(Boolean);
	const ended = state.plan?.phase === 'ROLLED_BACK' ? 'rolled back: space starts again with step 1 · q quits' : state.plan?.phase === 'COMPLETE' ? 'COMPLETE · q quits' : undefined;
	const message = state.error ?? state.lockWait ?? state.notice ?? prompt ?? ended;
	// Retiring v1 is offered only while it is live.
	const v1Live = state.traffic?.versions.v1.state === 'live';
	const keys = keymap.filter(binding => binding.footer && (binding.action !== 'retire-v1' || v1Live)).map(binding => `${binding.footerKeys ?? binding.keys} ${binding.footer}`);
	return (
		<Text wrap="truncate-end">
			{modes.length > 0 ? <Text {...theme.warning}>[{modes.join('] [')}] </Text> : null}
			{message ? (
				<Text {...(state.error ? theme.error : theme.warning)}>{message}</Text>
			) : (
				<Text {...theme.muted}>{keys.join(' · ')}</Text>
			)}
		</Text>
	);
}
