import {ZdmError} from '../core/errors.js';
import {Executor, type ExecutorOptions} from '../core/executor.js';
import type {Finding} from '../core/lint/index.js';
import {readPlanFile, type PlanFile} from '../core/plan-file.js';
import type {Database} from '../db/database.js';
import type {ReplicaPort} from '../core/replica-lag.js';
import {checkReplica, openReplica} from '../db/replica.js';
import {acquireHolder, ensureStateSchema, type Holder} from '../db/state.js';
import {baseSchema, type CommandFlags} from '../commands/options.js';
import {recordPlanDocument} from '../db/chain-state.js';
import {planDocument} from '../core/chain.js';
import {preparePlan, refuseOnLintErrors, startedMigration, type PreparedPlan} from '../commands/prepare.js';

/*
 * How `run`, `start` and the dashboard open a migration, so they cannot drift apart: the plan
 * file read once, a started migration resumed or a fresh one compiled and linted, the database
 * held, and one set of executor options (beforeStep re-checks the hold before every step).
 */

export type MigrationFlags = Pick<CommandFlags, 'allow' | 'failAt' | 'batchSize' | 'batchMs' | 'backfillWorkers' | 'lockTimeout' | 'maxLockWait' | 'replica' | 'maxLag' | 'schema' | 'skipVerify'>;

export interface OpenMigrationOptions {
	path: string;
	/** The plan file when the caller has read it already (the dashboard, before the database opens). */
	file?: PlanFile;
	flags: MigrationFlags;
	signal: AbortSignal;
	/** `run` refuses a plan with a lint error here; the dashboard shows the findings and refuses at the first step. */
	refuseLintErrors: boolean;
	/** A fresh plan's findings, before anything changes. */
	onFindings?: (findings: Finding[]) => void;
	/** Asked just before the database is held: the last moment to say no. */
	confirm?: (migrationId: string) => Promise<void>;
}

export interface OpenMigration {
	file: PlanFile;
	/** A fresh plan's lint findings; none when a started migration resumes. */
	findings: Finding[];
	resumed: boolean;
	executor: Executor;
	/** After a rollback: the same file compiled afresh against the restored catalog, under the same hold. */
	restart(): Promise<Executor>;
	/** Let go of the database. */
	release(): Promise<void>;
}

export function executorOptions(flags: MigrationFlags, signal: AbortSignal, holder: Holder, replicas: ReplicaPort[] = []): ExecutorOptions {
	return {
		beforeStep: async () => holder.verify(),
		failAt: flags.failAt,
		batchSize: flags.batchSize,
		targetBatchMs: flags.batchMs,
		backfillWorkers: flags.backfillWorkers,
		replicas,
		maxLagMs: flags.maxLag,
		signal,
		skipVerify: flags.skipVerify,
		lock: {
			...(flags.lockTimeout === undefined ? {} : {lockTimeoutMs: flags.lockTimeout}),
			...(flags.maxLockWait === undefined ? {} : {maxLockWaitMs: flags.maxLockWait}),
		},
	};
}

/** The database held for one migration, and the replicas its backfill keeps within --max-lag. */
interface Hold {
	options: ExecutorOptions;
	release(): Promise<void>;
}

async function hold(db: Database, id: string, flags: MigrationFlags, signal: AbortSignal): Promise<Hold> {
	const holder = await acquireHolder(db, id);
	const replicas = (flags.replica ?? []).map(url => openReplica(url));
	return {
		options: executorOptions(flags, signal, holder, replicas),
		async release() {
			await holder.release();
			await Promise.all(replicas.map(async replica => replica.close()));
		},
	};
}

/** Every --replica answers and is a replica, before anything changes. */
const checkReplicas = async (flags: MigrationFlags) => Promise.all((flags.replica ?? []).map(async url => checkReplica(url)));

/** The first lint error, which a run refuses unless it is allowed. */
export const lintRefusal = (findings: Finding[]) => findings.find(finding => finding.severity === 'error');

function checkFailAt(flags: MigrationFlags, prepared: PreparedPlan) {
	const last = prepared.plan.steps.length;
	if (flags.failAt !== undefined && flags.failAt > last) throw new ZdmError('bad-input', `--fail-at ${flags.failAt} is past the plan's last step (${last})`, `choose a step from 1 to ${last}`);
}

/** A plan file on a database: resumed where a started migration stopped, else compiled, linted and stored afresh. */
export async function openMigration(db: Database, options: OpenMigrationOptions): Promise<OpenMigration> {
	const {path, flags, signal} = options;
	const file = options.file ?? readPlanFile(path);
	const prepare = async () => {
		const prepared = await preparePlan(db, path, flags.allow, file, baseSchema(flags));
		options.onFindings?.(prepared.findings);
		if (options.refuseLintErrors) refuseOnLintErrors(path, prepared.findings);
		checkFailAt(flags, prepared);
		return prepared;
	};

	const resumed = (await startedMigration(db, file, baseSchema(flags))) !== undefined;
	const prepared = resumed ? undefined : await prepare();
	await checkReplicas(flags);
	await options.confirm?.(file.id);
	await ensureStateSchema(db);
	const held = await hold(db, file.id, flags, signal);
	const executorFor = held.options;
	try {
		const executor = prepared ? await Executor.open(db, prepared.plan, executorFor) : await Executor.resume(db, file.id, executorFor);
		// The plan as its file said it, for `pull` (#11); a resumed migration has it already.
		if (prepared) await recordPlanDocument(db, file.id, planDocument(file));
		return {
			file,
			findings: prepared?.findings ?? [],
			resumed,
			executor,
			async restart() {
				const restarted = await Executor.open(db, (await prepare()).plan, executorFor);
				await recordPlanDocument(db, file.id, planDocument(file));
				return restarted;
			},
			release: async () => held.release(),
		};
	} catch (error) {
		await held.release();
		throw error;
	}
}

/** A migration already stored on this database, by id alone (complete, rollback). */
export async function openStoredMigration(db: Database, id: string, flags: MigrationFlags, signal: AbortSignal, options: Partial<ExecutorOptions> = {}): Promise<Pick<OpenMigration, 'executor' | 'release'>> {
	await checkReplicas(flags);
	const held = await hold(db, id, flags, signal);
	try {
		return {executor: await Executor.resume(db, id, {...held.options, ...options}), release: async () => held.release()};
	} catch (error) {
		await held.release();
		throw error;
	}
}
