import type {Executor} from '../core/executor.js';
import {v2Renames} from './shape.js';
import type {Traffic} from './traffic.js';

export type FollowedExecutor = Pick<Executor, 'on' | 'next' | 'plan'>;

/**
 * Deploy and retire the versions as a migration goes: v2 once expand is done (its columns exist),
 * v2 held while contract renames a shadow column it uses and switched to the final names after,
 * v2 retired when a step fails or is rolled back (the rollback removes its columns), and, for `run`, v1 retired
 * as contract starts (contract removes what v1 needs).
 */
export function followMigration(traffic: Traffic, executor: FollowedExecutor, options: {retireBeforeContract: boolean}): () => void {
	const renames = v2Renames(traffic.shapes);
	const sync = () => {
		const {next} = executor;
		if (executor.plan.phase === 'ROLLED_BACK') return;
		if (!next) traffic.switchToFinalNames();
		if (!next || next.phase !== 'EXPANDING') traffic.deploy('v2');
		if (options.retireBeforeContract && (!next || next.phase === 'CONTRACTING')) void traffic.retire('v1');
	};

	sync();
	return executor.on(event => {
		// On PGlite the executor may never yield to the timers (its awaits are all microtasks), so
		// every event also lets due requests in: they queue for the database between batches.
		traffic.admitDue();
		switch (event.type) {
			case 'step-started': {
				if (event.step.phase === 'CONTRACTING' && options.retireBeforeContract) void traffic.retire('v1');
				if (event.step.final && renames) traffic.hold('v2', true);
				break;
			}

			case 'step-executed': {
				if (event.step.final && renames) {
					traffic.switchToFinalNames();
					traffic.hold('v2', false);
				}

				sync();
				break;
			}

			// A rollback removes v2's columns. A caller rolling back on purpose retires v2 first; this
			// is the safety net when it did not.
			case 'step-failed':
			case 'step-rolled-back': {
				void traffic.retire('v2');
				break;
			}

			default: {
				break;
			}
		}
	});
}
