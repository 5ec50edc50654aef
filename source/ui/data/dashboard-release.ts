import {statSync} from 'node:fs';
import {ZdmError} from '../../core/errors.js';
import type {MigrationPhase} from '../../core/phase.js';
import type {Step} from '../../core/plan.js';
import type {Database} from '../../db/database.js';
import {baseSchema, type CommandFlags} from '../../commands/options.js';
import {openChainEntry, readChain, type Chain, type OpenChainMigration} from '../../services/chain.js';
import type {ReleaseView} from '../state/release.js';

/** `zdm-tui DIR`: a directory opens as a release, a file as one migration. */
export function isReleaseDir(path: string): boolean {
	try {
		return statSync(path).isDirectory();
	} catch {
		return false;
	}
}

/** What works on one plan file but not on a chain, refused before the database opens. */
export function refuseReleaseFlags(dir: string, flags: CommandFlags) {
	if (flags.failAt !== undefined) throw new ZdmError('bad-input', '--fail-at works on one plan file: a release has a step 1 in every migration', `drop --fail-at and press f on the step to fail, or open one migration: zdm-tui ${dir}/FILE --fail-at N`);
	if (flags.rehearseFrom !== undefined) throw new ZdmError('bad-input', '--rehearse-from works on one plan file, not a directory', `rehearse each migration: zdm-tui ${dir}/FILE --rehearse-from URL`);
}

/**
 * The pending chain of a migrations directory, for the dashboard: read and checked against the
 * database as `migrate DIR` does (refused, nothing changed, if they disagree or a file has a lint
 * error), then opened one migration at a time through the same chain service. The session moves
 * on only once the open one is COMPLETE, as migrate does.
 */
export class DashboardRelease {
	private position = 0;
	private readonly ended: Array<{phase: MigrationPhase; steps: Step[]}> = [];

	private constructor(
		private readonly db: Database,
		private readonly chain: Chain,
		private readonly flags: CommandFlags,
		private readonly signal: AbortSignal,
	) {}

	static async read(db: Database, dir: string, flags: CommandFlags, signal: AbortSignal): Promise<DashboardRelease> {
		const chain = await readChain(db, {dir, complete: flags.complete ?? false, allow: flags.allow, schema: baseSchema(flags)});
		if (chain.entries.length === 0) {
			const last = chain.history.at(-1);
			throw new ZdmError('bad-input', `${dir}: nothing pending on ${db.label}, ${chain.history.length} migration${chain.history.length === 1 ? '' : 's'} applied${last ? ` (the last, ${last.id}, ${last.phase})` : ''}`, 'add a migration file to the directory, or see the history with zdm-tui status');
		}

		return new DashboardRelease(db, chain, flags, signal);
	}

	get hasNext(): boolean {
		return this.position < this.chain.entries.length - 1;
	}

	/** Open the migration whose turn it is (resumed if it was started). */
	async open(): Promise<OpenChainMigration> {
		return openChainEntry(this.db, this.chain, this.chain.entries[this.position]!, {flags: this.flags, signal: this.signal});
	}

	/** The open migration has ended as `phase` with these `steps`: the next one's turn. */
	moveOn(phase: MigrationPhase, steps: Step[]) {
		this.ended.push({phase, steps});
		this.position++;
	}

	view(): ReleaseView {
		return {
			dir: this.chain.dir,
			current: this.position,
			migrations: this.chain.entries.map((entry, index) => ({
				id: entry.file.id,
				title: entry.file.plan.title,
				target: entry.target,
				resumed: entry.resume,
				...(this.ended[index] ? {ended: this.ended[index]} : {}),
			})),
		};
	}
}
