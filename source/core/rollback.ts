import type {Queryable} from './ports.js';
import {ZdmError} from './errors.js';
import type {Step} from './plan.js';
import type {StepContext} from './step-run.js';
import {inTransaction, undo} from './step-sql.js';

/** After `step` failed: undo what it left, store the failure, then roll back every executed step. */
export async function rollbackAfterFailure(run: StepContext, step: Step, message: string): Promise<void> {
	// A step that was not one transaction may have left part of itself: undo it too.
	if (step.kind === 'concurrent' || step.kind === 'backfill') await undo(run.sql, step);
	await run.db.transaction(async tx => {
		await run.db.state.saveStepStatus(tx, run.plan.id, step);
		await run.history(tx, {phase: 'FAILED', message: `Step ${step.number} failed: ${message}`, durationMs: step.durationMs});
	});
	await rollbackExecuted(run);
}

// WHY reverse order? The newest change is undone first, like unwinding a stack: each rollback
// runs against exactly the shape its step left behind.
export async function rollbackExecuted(run: StepContext): Promise<void> {
	const done = run.plan.steps.filter(step => step.status === 'executed' || step.status === 'running').reverse();
	for (const step of done) {
		if (step.irreversible && step.status === 'executed') {
			throw new ZdmError('refused', `step ${step.number} (${step.description}) cannot be undone`, 'the old shape is gone; write a new migration that reverses it');
		}

		const started = performance.now();
		await markedOrAsBefore(step, async () => inTransactionOrNot(run, step, async tx => {
			step.status = 'rolled_back';
			step.durationMs = performance.now() - started;
			await run.db.state.saveStepStatus(tx, run.plan.id, step);
			await run.history(tx, {phase: 'ROLLBACK', message: `Rolled back: ${step.description}`, durationMs: step.durationMs});
		}));
		run.emit({type: 'step-rolled-back', step, durationMs: step.durationMs ?? 0});
	}

	await run.db.transaction(async tx => {
		await run.db.state.savePhase(tx, run.plan.id, 'ROLLED_BACK');
		run.setPhase('ROLLED_BACK');
		await run.history(tx, {phase: 'ROLLED_BACK', message: `Migration ${run.plan.id} rolled back`});
	});
}

/**
 * After a contract step failed with `keepStarted`: undo only the contract, so the migration is
 * exactly as `start` left it (MIGRATING, both versions working) and `complete` can be run again,
 * or `rollback`. The failed step's own transaction is already rolled back by the server.
 */
export async function undoContract(run: StepContext, step: Step, message: string): Promise<void> {
	if (step.kind === 'concurrent' || step.kind === 'backfill') await undo(run.sql, step);
	step.status = 'pending';
	await run.db.transaction(async tx => {
		await run.db.state.saveStepStatus(tx, run.plan.id, step);
		await run.history(tx, {phase: 'FAILED', message: `Step ${step.number} failed: ${message}; the contract is undone and the migration stays started`, durationMs: step.durationMs});
	});
	const done = run.plan.steps.filter(other => other.phase === 'CONTRACTING' && other.status === 'executed').reverse();
	for (const other of done) {
		const started = performance.now();
		await markedOrAsBefore(other, async () => inTransactionOrNot(run, other, async tx => {
			other.status = 'pending';
			other.durationMs = performance.now() - started;
			await run.db.state.saveStepStatus(tx, run.plan.id, other);
			await run.history(tx, {phase: 'ROLLBACK', message: `Undone until complete runs again: ${other.description}`, durationMs: other.durationMs});
		}));
		run.emit({type: 'step-rolled-back', step: other, durationMs: other.durationMs ?? 0});
	}

	await run.db.transaction(async tx => {
		await run.db.state.savePhase(tx, run.plan.id, 'MIGRATING');
		run.setPhase('MIGRATING');
	});
}

/**
 * WHY put the status back? The mark sets it before storing it; when its transaction fails, the
 * undo did not happen either, and a rollback run again in this process must not skip the step.
 */
async function markedOrAsBefore(step: Step, undo: () => Promise<void>): Promise<void> {
	const before = step.status;
	try {
		await undo();
	} catch (error) {
		step.status = before;
		throw error;
	}
}

async function inTransactionOrNot(run: StepContext, step: Step, mark: (tx: Queryable) => Promise<void>) {
	if (step.kind === 'concurrent') {
		await undo(run.sql, step);
		await run.db.transaction(mark);
	} else {
		await inTransaction(run.sql, step, step.rollback, step.kind === 'script', mark);
	}
}
