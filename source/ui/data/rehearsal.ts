import {copyLines, timingLines} from '../../commands/rehearse-report.js';
import {checkRehearseFlags, refuseIfPlanTablesLack} from '../../commands/rehearse.js';
import type {CommandFlags} from '../../commands/options.js';
import {readPlanFile} from '../../core/plan-file.js';
import type {Database} from '../../db/database.js';
import {openRehearsalCopy, type CopyReport} from '../../services/rehearse.js';
import {rehearsalTimings, type StepTiming} from '../../services/rehearse-timing.js';

/**
 * `zdm-tui PLAN --rehearse-from URL`: the dashboard opens on a throwaway copy of URL's schema
 * (services/rehearse.ts) instead of a database of its own. What was copied, and the step times
 * at the target's size, are printed once the dashboard has closed.
 */
export class DashboardRehearsal {
	private report?: CopyReport;
	private timings: StepTiming[] = [];
	private readonly from: string;

	constructor(
		private readonly planPath: string,
		flags: CommandFlags,
	) {
		// Checked before the dashboard draws anything: a bad flag is one line and exit 2.
		this.from = checkRehearseFlags(flags, flags.rehearseFrom, '--rehearse-from');
	}

	readonly open = async (flags: CommandFlags, progress: (what: string) => void): Promise<Database> => {
		const copy = await openRehearsalCopy({from: this.from, rows: flags.rows, copyRows: flags.copyRows, onProgress: progress});
		try {
			await refuseIfPlanTablesLack(copy, this.planPath, flags);
		} catch (error) {
			await copy.db.close();
			throw error;
		}

		this.report = copy.report;
		const {id} = readPlanFile(this.planPath);
		return {
			...copy.db,
			// The steps' times are read from the copy's own state just before it goes away.
			close: async () => {
				this.timings = await rehearsalTimings(copy.db, [id], copy.report).catch(() => []);
				await copy.db.close();
			},
		};
	};

	/** For the terminal after the dashboard: what the copy held, and the timings. */
	lines(): string[] {
		return this.report ? [`rehearsed ${this.planPath} on a throwaway embedded copy`, ...copyLines(this.report), ...timingLines(this.timings)] : [];
	}
}
