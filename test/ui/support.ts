import type {Step} from '../../source/core/plan.js';
import type {UsersWindow} from '../../source/ui/state/users-window.js';

export const step = (number: number, overrides: Partial<Step> = {}): Step => ({
	number,
	phase: number === 1 ? 'EXPANDING' : number === 2 ? 'MIGRATING' : 'CONTRACTING',
	operation: 0,
	kind: number === 2 ? 'backfill' : 'ddl',
	description: `step ${number} description`,
	forward: [`SELECT ${number}`],
	rollback: [`SELECT -${number}`],
	why: `why step ${number}`,
	status: 'pending',
	...overrides,
});

export const usersWindow = (columns: string[], rows: Array<Record<string, string | null>>, after: string | null = null): UsersWindow => ({
	schema: 'public',
	table: 'users',
	key: 'id',
	columns,
	rows: rows.map(cells => ({key: cells.id!, cells})),
	estimatedRows: rows.length,
	after,
});

/** Poll a render until its frame satisfies `accept`: tests wait for frames, never fixed times. */
export async function waitForFrame(lastFrame: () => string | undefined, accept: (frame: string) => boolean, timeoutMs = 30_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const frame = lastFrame() ?? '';
		if (accept(frame)) return frame;
		if (Date.now() > deadline) throw new Error(`timed out waiting for the frame; the last one was:\n${frame}`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}
