import {compilePlan} from '../source/core/compile.js';
import {Executor, type ExecutorOptions} from '../source/core/executor.js';
import {readPlanFile} from '../source/core/plan-file.js';
import type {Database} from '../source/db/database.js';
import {readCatalog} from '../source/db/catalog.js';

export const samplePlan = 'samples/add-display-name.yaml';

/** The sample on the real executor, its expand steps done: the next step is the backfill. */
export async function expandedSample(db: Database): Promise<Executor> {
	const {plan} = compilePlan(readPlanFile(samplePlan), await readCatalog(db));
	const executor = await Executor.open(db, plan, {});
	while (executor.next && executor.next.kind !== 'backfill') await executor.step();
	return executor;
}

export interface BatchStats {
	batches: number;
	meanBatchMs: number;
	maxBatchMs: number;
	lastBatchSize: number;
}

/**
 * Drive the real executor over the sample, with hooks around its backfill step so the caller can
 * measure exactly that window (writers' waits, wall time).
 */
export async function runSample(
	db: Database,
	options: ExecutorOptions,
	hooks: {beforeBackfill?: () => Promise<void> | void; afterBackfill?: () => Promise<void> | void} = {},
): Promise<{backfillMs: number; totalMs: number; batch: BatchStats}> {
	const {plan} = compilePlan(readPlanFile(samplePlan), await readCatalog(db));
	const started = performance.now();
	const executor = await Executor.open(db, plan, options);
	const batchMs: number[] = [];
	let lastBatchSize = 0;
	executor.on(event => {
		if (event.type === 'batch') {
			batchMs.push(event.batchMs);
			lastBatchSize = event.batchSize;
		}
	});
	let backfillMs = 0;
	for (;;) {
		const next = executor.next;
		if (!next) break;
		const isBackfill = next.kind === 'backfill';
		if (isBackfill) await hooks.beforeBackfill?.();
		const stepStarted = performance.now();
		const outcome = await executor.step();
		if (outcome.outcome === 'rolled-back') throw new Error(`the sample rolled back at step ${outcome.step.number}: ${outcome.error}`);
		if (isBackfill) {
			backfillMs += performance.now() - stepStarted;
			await hooks.afterBackfill?.();
		}

		if (outcome.outcome === 'complete') break;
	}

	if (executor.plan.phase !== 'COMPLETE') throw new Error(`the sample ended in ${executor.plan.phase}`);
	return {
		backfillMs,
		totalMs: performance.now() - started,
		batch: {
			batches: batchMs.length,
			meanBatchMs: batchMs.reduce((a, b) => a + b, 0) / Math.max(1, batchMs.length),
			maxBatchMs: Math.max(0, ...batchMs),
			lastBatchSize,
		},
	};
}
