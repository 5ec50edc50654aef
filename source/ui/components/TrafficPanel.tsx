import {Box, Text} from 'ink';
import type {TrafficSnapshot, VersionMetrics} from '../../traffic/index.js';
import {theme} from '../theme.js';

export interface TrafficPanelProps {
	snapshot: TrafficSnapshot;
	/** Show the zero-downtime verdict (at COMPLETE, or once the traffic stopped). */
	showVerdict?: boolean;
	/** Lines the layout gives it: the title goes first, then the last error; v1 and v2 stay. */
	height?: number;
}

const failing = (snapshot: TrafficSnapshot) => [snapshot.versions.v1, snapshot.versions.v2].find(v => v.lastError && v.errors > 0);

/** Lines the panel wants: a title, v1, v2, the last error if any, the verdict if shown. */
export const trafficLines = (snapshot: TrafficSnapshot, showVerdict: boolean) => 3 + (failing(snapshot) ? 1 : 0) + (showVerdict ? 1 : 0);

const stateLabel: Record<VersionMetrics['state'], string> = {waiting: 'WAITING', live: 'LIVE', retired: 'RETIRED'};
const ms = (value: number) => (value < 10 ? value.toFixed(1) : Math.round(value).toString());

function VersionLine({v, shape}: {v: VersionMetrics; shape: string}) {
	const state = v.state === 'live' ? theme.ok : v.state === 'retired' ? theme.muted : theme.warning;
	const latency = v.requests === 0 ? 'p50 – p99 – max –' : `p50 ${ms(v.p50Ms)} p99 ${ms(v.p99Ms)} max ${ms(v.maxWaitMs)} ms`;
	return (
		<Text wrap="truncate-end">
			{` ${v.version} `}
			<Text {...theme.muted}>{shape}</Text> <Text {...state}>{stateLabel[v.state].padEnd(7)}</Text> {String(v.requests).padStart(6)} req {v.rps.toFixed(1).padStart(6)}/s{' '}
			<Text {...(v.errors > 0 ? theme.error : {})}>{String(v.errors).padStart(4)} err</Text> {latency} <Text {...theme.muted}>{v.columns.join(', ')}</Text>
		</Text>
	);
}

/**
 * The two simulated application versions, live: how many requests, how many failed, how long they
 * waited. v1's errors rising after contract is the lesson: retire it first.
 */
export function TrafficPanel({snapshot, showVerdict = false, height = Number.POSITIVE_INFINITY}: TrafficPanelProps) {
	const {v1, v2} = snapshot.versions;
	if (height < 2) return null;
	let spare = height - 2;
	const verdictShown = showVerdict && spare-- > 0;
	const lastError = spare > 0 ? failing(snapshot) : undefined;
	if (lastError) spare--;
	const titleShown = spare > 0;
	const {verdict} = snapshot;
	return (
		<Box flexDirection="column">
			{titleShown ? <Text wrap="truncate-end">
				<Text {...theme.accent}>traffic</Text> <Text {...theme.muted}>{snapshot.rate} req/s each · {snapshot.concurrent ? 'own connections' : 'interleaved with the migration'}</Text>
			</Text> : null}
			<VersionLine v={v1} shape="old" />
			<VersionLine v={v2} shape="new" />
			{lastError ? (
				<Text wrap="truncate-end" {...theme.error}>
					{` ${lastError.version}: ${lastError.lastError}`}
				</Text>
			) : null}
			{verdictShown ? (
				<Text wrap="truncate-end" {...(verdict.zeroDowntime ? theme.ok : theme.error)}>
					{verdict.zeroDowntime ? ` ✔ zero downtime: no errors, longest wait under ${verdict.thresholdMs} ms` : ` ✗ NOT zero downtime: ${verdict.reasons.join('; ')}`}
				</Text>
			) : null}
		</Box>
	);
}
