import {Box, Text} from 'ink';
import type {BackfillProgress} from '../state/dashboard-state.js';
import {bar, duration, int} from '../format.js';
import {theme} from '../theme.js';

export interface ProgressBarProps {
	executed: number;
	total: number;
	backfill?: BackfillProgress;
	batchSize?: number;
	batchFixed: boolean;
	paused: boolean;
	/** Waiting for a replica: "replica lag 2.3 s". */
	throttled?: string;
	width: number;
}

/** Plan progress (executed steps over all, as in the lab), then the backfill's rows, speed and ETA. */
export function ProgressBar({executed, total, backfill, batchSize, batchFixed, paused, throttled, width}: ProgressBarProps) {
	const pct = total === 0 ? 0 : (executed / total) * 100;
	// The bar gives way first on a narrow terminal, so the figures stay readable.
	const barWidth = Math.max(8, Math.min(30, width - 76));
	const rows = backfill ? backfill.rowsDone / Math.max(1, backfill.rowsTotal) : 0;
	const size = `batch ${int(backfill?.batchSize ?? batchSize ?? 0)} ${batchFixed ? 'fixed' : 'auto'}`;
	return (
		<Box flexDirection="column" width={width}>
			<Text wrap="truncate-end">
				{'plan     '}
				<Text {...(pct === 100 ? theme.ok : theme.accent)}>{bar(pct / 100, barWidth)}</Text> {pct.toFixed(0).padStart(3)} % <Text {...theme.muted}>({executed}/{total} steps)</Text>
			</Text>
			<Text wrap="truncate-end">
				{backfill?.verify ? 'verify   ' : 'backfill '}
				{/* First on the line, so a narrow terminal never cuts it off. */}
				{paused ? <Text {...theme.warning}>PAUSED </Text> : null}
				{throttled ? <Text {...theme.warning}>throttled: {throttled} · </Text> : null}
				{backfill?.undone ? (
					<Text {...theme.muted}>
						{bar(rows, barWidth)} stopped at {int(backfill.rowsDone)}/{int(backfill.rowsTotal)} rows, undone by the rollback · {size}
					</Text>
				) : backfill ? (
					<>
						<Text {...theme.accent}>{bar(rows, barWidth)}</Text> {int(backfill.rowsDone)}/{int(backfill.rowsTotal)} rows · {int(backfill.rowsPerSecond)} rows/s · ETA {duration(backfill.etaMs)} · {size}
					</>
				) : (
					<Text {...theme.muted}>{bar(0, barWidth)} no backfill running · {size}</Text>
				)}
			</Text>
		</Box>
	);
}
