import type {Executor} from '../core/executor.js';
import type {Traffic} from './traffic.js';

export type FollowedExecutor = Pick<Executor, 'on' | 'next' | 'plan'>;

/**
 * Deploy and retire the versions as a migration goes: v2 once expand is done (its version schema
 * exists), v2 retired when a step fails or is rolled back (the rollback drops its schema), and,
 * for `run`, v1 retired as contract starts (contract removes what v1 needs). Nothing switches
 * names at a commit: each version uses its own names throughout, as a deployed application must.
 */
export function followMigration(traffic: Traffic, executor: FollowedExecutor, options: {retireBeforeContract: boolean}): () => void {
	const sync = () => {
		const {next} = executor;
		if (executor.plan.phase === 'ROLLED_BACK') return;
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
				break;
			}

			case 'step-executed': {
				sync();
				break;
			}

			// A rollback removes v2's schema. A caller rolling back on purpose retires v2 first; this
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
