import type {MigrationPhase} from '../../core/phase.js';
import type {Step} from '../../core/plan.js';

/*
 * The dashboard over a release (#11): the pending chain of a migrations directory, one migration
 * open at a time. The steps panel lists every migration under a heading of its own: the ones
 * done with their steps as they ended, the open one live, the ones still to come by name.
 */

export interface ReleaseMigration {
	id: string;
	title: string;
	/** Run to COMPLETE, or left started (the last, as `migrate` leaves it). */
	target: 'complete' | 'started';
	resumed: boolean;
	/** Set once the release has moved past it: how it ended, and its steps then. */
	ended?: {phase: MigrationPhase; steps: Step[]};
}

export interface ReleaseView {
	dir: string;
	/** Index of the migration open now. */
	current: number;
	migrations: ReleaseMigration[];
}

export type ReleaseRow = {kind: 'heading'; migration: ReleaseMigration; position: number; total: number; phase?: MigrationPhase; folded?: boolean} | {kind: 'step'; migration: string; step: Step; live: boolean};

/**
 * The panel's lines: a heading per migration, then its steps (the open one's as they are now).
 * `fold`: the migrations already done show their heading alone, so that every heading fits.
 */
export function releaseRows(release: ReleaseView, steps: Step[], phase: MigrationPhase | undefined, fold = false): ReleaseRow[] {
	const total = release.migrations.length;
	return release.migrations.flatMap((migration, position): ReleaseRow[] => {
		const live = position === release.current;
		const folded = fold && !live && migration.ended !== undefined;
		const shown = live ? steps : folded ? [] : migration.ended?.steps ?? [];
		const heading: ReleaseRow = {kind: 'heading', migration, position, total, ...(live ? (phase ? {phase} : {}) : migration.ended ? {phase: migration.ended.phase} : {}), ...(folded ? {folded} : {})};
		return [heading, ...shown.map((step): ReleaseRow => ({kind: 'step', migration: migration.id, step, live}))];
	});
}

/** The first row to show so that the open migration's next (or running) step stays in view, its heading above it if there is room. */
export function releaseWindowStart(rows: ReleaseRow[], height: number): number {
	if (rows.length <= height) return 0;
	let focus = rows.findIndex(row => row.kind === 'step' && row.live && (row.step.status === 'pending' || row.step.status === 'running'));
	if (focus === -1) focus = rows.findLastIndex(row => row.kind === 'step' && row.live);
	if (focus === -1) focus = rows.length - 1;
	return Math.min(Math.max(0, focus - Math.floor(height / 3)), rows.length - height);
}
