import {hostname} from 'node:os';
import {ZdmError} from '../core/errors.js';
import type {MigrationPhase} from '../core/phase.js';
import type {Plan, Step, StepStatus} from '../core/plan.js';
import type {BackfillBatch, Database, HistoryEntry, Queryable, Session, StateStore, StoredMigration} from '../core/ports.js';

import {addThrottleFigures, ensureThrottleTable} from './replica-lag-state.js';

export type {BackfillBatch, HistoryEntry, StoredMigration} from '../core/ports.js';

/**
 * zdm's own schema: what resume reads. Steps are stored with their SQL when a migration starts,
 * so a resumed run executes exactly what was planned, even though the catalog has moved on.
 */
const schemaSql = [
	'CREATE SCHEMA IF NOT EXISTS zdm',
	`CREATE TABLE IF NOT EXISTS zdm.migrations (
		id text PRIMARY KEY,
		title text NOT NULL,
		phase text NOT NULL,
		fingerprint text NOT NULL,
		started_at timestamptz NOT NULL DEFAULT now(),
		updated_at timestamptz NOT NULL DEFAULT now()
	)`,
	// Added after the first release; IF NOT EXISTS upgrades a state schema an older zdm-tui made.
	// WHY record the version schema? zdm owns it: a crash at any point can still drop it on
	// rollback, and the next migration's contract drops it as the previous version's.
	'ALTER TABLE zdm.migrations ADD COLUMN IF NOT EXISTS base_schema text',
	'ALTER TABLE zdm.migrations ADD COLUMN IF NOT EXISTS version_schema text',
	'ALTER TABLE zdm.migrations ADD COLUMN IF NOT EXISTS completed_at timestamptz',
	// The history (#11): each migration's parent, the file `migrate DIR` applied it from, the plan
	// itself (what `pull` writes back out), and the baseline that restarts the history.
	'ALTER TABLE zdm.migrations ADD COLUMN IF NOT EXISTS parent text',
	'ALTER TABLE zdm.migrations ADD COLUMN IF NOT EXISTS source_file text',
	'ALTER TABLE zdm.migrations ADD COLUMN IF NOT EXISTS plan_document jsonb',
	'ALTER TABLE zdm.migrations ADD COLUMN IF NOT EXISTS baseline boolean NOT NULL DEFAULT false',
	// WHY a unique index on a constant? At most one migration may be active per database.
	"CREATE UNIQUE INDEX IF NOT EXISTS migrations_one_active ON zdm.migrations ((true)) WHERE phase IN ('EXPANDING', 'MIGRATING', 'CONTRACTING')",
	`CREATE TABLE IF NOT EXISTS zdm.steps (
		migration_id text NOT NULL REFERENCES zdm.migrations (id) ON DELETE CASCADE,
		number int NOT NULL,
		spec jsonb NOT NULL,
		status text NOT NULL DEFAULT 'pending',
		duration_ms int,
		updated_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (migration_id, number)
	)`,
	`CREATE TABLE IF NOT EXISTS zdm.history (
		id bigserial PRIMARY KEY,
		migration_id text NOT NULL,
		phase text NOT NULL,
		message text NOT NULL,
		at timestamptz NOT NULL DEFAULT clock_timestamp(),
		duration_ms int
	)`,
	// One row per committed backfill batch, written by the batch's own statement. WHY not one
	// cursor? Batches on a server commit out of order (several sessions fill consecutive ranges),
	// so what is done is a set of ranges; seq orders them without comparing keys of any type.
	`CREATE TABLE IF NOT EXISTS zdm.backfill_batch (
		migration_id text NOT NULL,
		step int NOT NULL,
		seq int NOT NULL,
		after_key text,
		last_key text NOT NULL,
		rows bigint NOT NULL,
		done_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (migration_id, step, seq)
	)`,
	// A batch's pages (after_key to last_key) mean something only in the files they were filled in:
	// a resume after a rewrite (VACUUM FULL, CLUSTER) starts the pages over.
	'ALTER TABLE zdm.backfill_batch ADD COLUMN IF NOT EXISTS pages_of text',
	`CREATE TABLE IF NOT EXISTS zdm.holder (
		singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
		migration_id text,
		pid int NOT NULL,
		host text NOT NULL,
		backend_pid int NOT NULL,
		since timestamptz NOT NULL DEFAULT now()
	)`,
];

/** Whether zdm's schema exists: reading state must not create it (bad input changes nothing). */
export async function hasStateSchema(db: Queryable): Promise<boolean> {
	const {rows} = await db.query<{ready: boolean}>("SELECT to_regclass('zdm.holder') IS NOT NULL AS ready");
	return Boolean(rows[0]?.ready);
}

/** Whether the state schema has every column this version of zdm-tui writes. */
async function stateSchemaCurrent(db: Queryable): Promise<boolean> {
	const {rows} = await db.query<{ready: boolean}>(
		"SELECT count(*) = 2 AS ready FROM pg_attribute WHERE (attrelid, attname) IN ((to_regclass('zdm.migrations'), 'baseline'), (to_regclass('zdm.backfill_batch'), 'pages_of')) AND NOT attisdropped AND to_regclass('zdm.holder') IS NOT NULL",
	);
	return Boolean(rows[0]?.ready);
}

export async function ensureStateSchema(db: Database): Promise<void> {
	if (await stateSchemaCurrent(db)) return;
	await db.transaction(async tx => {
		// Two first runs racing to create the schema would collide; one waits for the other.
		await tx.query('SELECT pg_advisory_xact_lock(7406211)');
		for (const statement of schemaSql) await tx.query(statement);
	});
}

type MigrationRow = {id: string; title: string; phase: MigrationPhase; fingerprint: string; base_schema?: string | null; version_schema?: string | null; started_at: unknown; updated_at: unknown; completed_at?: unknown; parent?: string | null; baseline?: boolean};

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

async function stepsOf(db: Queryable, id: string): Promise<Step[]> {
	const {rows} = await db.query<{number: number; spec: unknown; status: StepStatus; duration_ms: number | null}>(
		'SELECT number, spec, status, duration_ms FROM zdm.steps WHERE migration_id = $1 ORDER BY number',
		[id],
	);
	return rows.map(row => {
		const spec = (typeof row.spec === 'string' ? JSON.parse(row.spec) : row.spec) as Step;
		return {...spec, number: row.number, status: row.status, durationMs: row.duration_ms ?? undefined};
	});
}

function toMigration(row: MigrationRow, steps: Step[]): StoredMigration {
	return {
		id: row.id,
		title: row.title,
		phase: row.phase,
		fingerprint: row.fingerprint,
		schema: row.base_schema ?? 'public',
		versionSchema: row.version_schema ?? '',
		steps,
		startedAt: iso(row.started_at),
		updatedAt: iso(row.updated_at),
		...(row.completed_at ? {completedAt: iso(row.completed_at)} : {}),
		...(row.parent ? {parent: row.parent} : {}),
		...(row.baseline ? {baseline: true} : {}),
	};
}

export async function loadMigration(db: Queryable, id: string): Promise<StoredMigration | undefined> {
	const {rows} = await db.query<MigrationRow>('SELECT * FROM zdm.migrations WHERE id = $1', [id]);
	return rows[0] && toMigration(rows[0], await stepsOf(db, id));
}

export async function listMigrations(db: Queryable): Promise<StoredMigration[]> {
	const {rows} = await db.query<MigrationRow>('SELECT * FROM zdm.migrations ORDER BY started_at, id');
	return Promise.all(rows.map(async row => toMigration(row, await stepsOf(db, row.id))));
}

export async function activeMigration(db: Queryable): Promise<StoredMigration | undefined> {
	const {rows} = await db.query<{id: string}>("SELECT id FROM zdm.migrations WHERE phase IN ('EXPANDING', 'MIGRATING', 'CONTRACTING')");
	return rows[0] && loadMigration(db, rows[0].id);
}

/** Store a plan's steps as it starts (or starts again after a rollback). */
export async function saveNewMigration(tx: Queryable, plan: Plan): Promise<void> {
	await tx.query('DELETE FROM zdm.migrations WHERE id = $1', [plan.id]);
	await tx.query('DELETE FROM zdm.backfill_batch WHERE migration_id = $1', [plan.id]);
	await tx.query('INSERT INTO zdm.migrations (id, title, phase, fingerprint, base_schema, version_schema) VALUES ($1, $2, $3, $4, $5, $6)', [plan.id, plan.title, plan.phase, plan.fingerprint, plan.schema, plan.versionSchema]);
	for (const step of plan.steps) {
		const {status: _status, durationMs: _duration, number, ...spec} = step;
		await tx.query('INSERT INTO zdm.steps (migration_id, number, spec, status) VALUES ($1, $2, $3, $4)', [plan.id, number, JSON.stringify(spec), step.status]);
	}
}

export async function saveStepStatus(tx: Queryable, id: string, step: Step): Promise<void> {
	await tx.query('UPDATE zdm.steps SET status = $3, duration_ms = $4, updated_at = now() WHERE migration_id = $1 AND number = $2', [
		id,
		step.number,
		step.status,
		step.durationMs === undefined ? null : Math.round(step.durationMs),
	]);
}

export async function savePhase(tx: Queryable, id: string, phase: MigrationPhase): Promise<void> {
	try {
		await tx.query("UPDATE zdm.migrations SET phase = $2, updated_at = now(), completed_at = CASE WHEN $2 = 'COMPLETE' THEN now() END WHERE id = $1", [id, phase]);
	} catch (error) {
		if ((error as {code?: string}).code === '23505') throw new ZdmError('refused', `another migration is already active on this database`, 'run zdm-tui status, then complete or roll it back');
		throw error;
	}
}

export async function addHistory(tx: Queryable, entry: Omit<HistoryEntry, 'at'>): Promise<HistoryEntry> {
	const {rows} = await tx.query<{at: unknown}>('INSERT INTO zdm.history (migration_id, phase, message, duration_ms) VALUES ($1, $2, $3, $4) RETURNING at', [
		entry.migrationId,
		entry.phase,
		entry.message,
		entry.durationMs === undefined ? null : Math.round(entry.durationMs),
	]);
	return {...entry, at: iso(rows[0]!.at)};
}

export async function readHistory(db: Queryable, id?: string): Promise<HistoryEntry[]> {
	const {rows} = await db.query<{migration_id: string; phase: string; message: string; at: unknown; duration_ms: number | null}>(
		id === undefined ? 'SELECT * FROM zdm.history ORDER BY id' : 'SELECT * FROM zdm.history WHERE migration_id = $1 ORDER BY id',
		id === undefined ? [] : [id],
	);
	return rows.map(row => ({migrationId: row.migration_id, phase: row.phase, message: row.message, at: iso(row.at), durationMs: row.duration_ms ?? undefined}));
}

/** Rows each backfill step of a migration has filled so far, by step number. */
export async function backfilledRows(db: Queryable, id: string): Promise<Map<number, number>> {
	const {rows} = await db.query<{step: number; rows: string | number}>('SELECT step, sum(rows) AS rows FROM zdm.backfill_batch WHERE migration_id = $1 GROUP BY step', [id]);
	return new Map(rows.map(row => [row.step, Number(row.rows)]));
}

/** The batches a backfill step has committed, in the order they were handed out. */
export async function loadBackfillBatches(db: Queryable, id: string, step: number): Promise<BackfillBatch[]> {
	const {rows} = await db.query<{seq: number; after_key: string | null; last_key: string; rows: string | number; pages_of: string | null}>(
		'SELECT seq, after_key, last_key, rows, pages_of FROM zdm.backfill_batch WHERE migration_id = $1 AND step = $2 ORDER BY seq',
		[id, step],
	);
	return rows.map(row => ({seq: row.seq, afterKey: row.after_key, lastKey: row.last_key, rows: Number(row.rows), pagesOf: row.pages_of}));
}

/**
 * The version schema applications should use now: the newest started or complete migration's,
 * or the base schema when there is none.
 */
export async function latestVersion(db: Queryable, schema: string): Promise<{schema: string; migration?: StoredMigration}> {
	if (!(await hasStateSchema(db))) return {schema};
	const {rows} = await db.query<{id: string}>(
		"SELECT id FROM zdm.migrations WHERE phase IN ('EXPANDING', 'MIGRATING', 'CONTRACTING', 'COMPLETE') AND version_schema IS NOT NULL AND version_schema <> '' AND coalesce(base_schema, 'public') = $1 ORDER BY started_at DESC, id DESC LIMIT 1",
		[schema],
	);
	const migration = rows[0] && (await loadMigration(db, rows[0].id));
	return migration ? {schema: migration.versionSchema, migration} : {schema};
}

/** The zdm schema as the core's state port. */
export const zdmState: StateStore = {
	ensureThrottleRecord: ensureThrottleTable,
	addThrottleFigures,
	ensure: ensureStateSchema,
	load: loadMigration,
	active: activeMigration,
	saveNew: saveNewMigration,
	saveStepStatus,
	savePhase,
	addHistory,
	backfillBatches: loadBackfillBatches,
};

export interface Holder {
	/**
	 * Prove we still hold the database. A session cut by the server (a terminated backend, a
	 * restart) loses its advisory lock silently: take it again on a fresh session, or stop if
	 * another zdm-tui took it meanwhile.
	 */
	verify(): Promise<void>;
	release(): Promise<void>;
}

/** Take the advisory lock on this session and say who we are; a refusal names who holds it. */
async function hold(session: Session, migrationId: string | undefined): Promise<void> {
	const {rows} = await session.query<{got: boolean; backend: number}>('SELECT pg_try_advisory_lock(7406210) AS got, pg_backend_pid() AS backend');
	if (!rows[0]!.got) {
		const holder = await session.query<{migration_id: string | null; pid: number; host: string; since: unknown}>('SELECT * FROM zdm.holder');
		const who = holder.rows[0];
		throw new ZdmError(
			'lock-held',
			who
				? `the database is held by another zdm-tui${who.migration_id ? ` running migration ${who.migration_id}` : ''} (pid ${who.pid} on ${who.host}, since ${iso(who.since)})`
				: 'the database is held by another zdm-tui',
			'wait for it to finish, or stop that process; its lock goes when it exits',
		);
	}

	await session.query(
		`INSERT INTO zdm.holder (singleton, migration_id, pid, host, backend_pid) VALUES (true, $1, $2, $3, $4)
		 ON CONFLICT (singleton) DO UPDATE SET migration_id = EXCLUDED.migration_id, pid = EXCLUDED.pid, host = EXCLUDED.host, backend_pid = EXCLUDED.backend_pid, since = now()`,
		[migrationId ?? null, process.pid, hostname(), rows[0]!.backend],
	);
}

async function holdOnNewSession(db: Database, migrationId: string | undefined): Promise<Session> {
	const session = await db.session();
	try {
		await hold(session, migrationId);
		return session;
	} catch (error) {
		await session.release();
		throw error;
	}
}

/**
 * One zdm at a time per database: a session-level advisory lock, held on a connection of its own
 * for as long as we run. If the process dies, the server drops the connection and the lock with it.
 */
export async function acquireHolder(db: Database, migrationId: string | undefined): Promise<Holder> {
	let session = await holdOnNewSession(db, migrationId);
	return {
		async verify() {
			try {
				await session.query('SELECT 1');
				return;
			} catch {
				await session.release();
			}

			try {
				session = await holdOnNewSession(db, migrationId);
			} catch (error) {
				if (error instanceof ZdmError) throw new ZdmError(error.code, `lost the hold on the database, and ${error.message.replace(/^the database is held by /, '')} took it; stopped before the next step`, 'the state is saved: once that process ends, run the same command again');
				throw error;
			}
		},
		async release() {
			await session.query('SELECT pg_advisory_unlock(7406210)').catch(() => {});
			await session.release();
		},
	};
}
