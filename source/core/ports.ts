/**
 * What the core needs from the outside world, and nothing more. source/db implements these
 * ports (PGlite, node-postgres, the zdm state schema); the core never imports a driver or db/.
 */
import type {MigrationPhase} from './phase.js';
import type {Plan, Step} from './plan.js';
import type {ThrottleFigures} from './replica-lag.js';

export type Row = Record<string, unknown>;

export interface QueryResult<R extends Row = Row> {
	rows: R[];
	rowCount: number;
}

export interface Queryable {
	/**
	 * One statement, always sent with the extended protocol: a value is a parameter, never text,
	 * and a fragment smuggling a second statement is refused by the server itself.
	 */
	query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
	/** Trusted multi-statement SQL, such as a plan's `sql` operation. */
	script(sql: string): Promise<void>;
}

/** A connection of its own, for work that must not share one: session settings, advisory locks. */
export interface Session extends Queryable {
	release(): Promise<void>;
}

export interface SessionOptions {
	/**
	 * The one schema on the session's search_path, as an application sets it to pick its version
	 * schema (a name, quoted by the adapter). The sync triggers read it to tell who wrote a row.
	 */
	schema?: string;
}

/**
 * The database port. Everything above it — executor, backfill, state, dashboard — is the same
 * whether the rows live in the embedded PGlite or on a PostgreSQL server.
 */
export interface Database extends Queryable {
	readonly kind: 'embedded' | 'server';
	/** Where the rows are, safe to print: never a password. */
	readonly label: string;
	/** Whether other connections can run at the same time as ours (a server) or not (PGlite). */
	readonly concurrent: boolean;
	/** Where the executor keeps its state (the zdm schema), on this database. */
	readonly state: StateStore;
	transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
	session(options?: SessionOptions): Promise<Session>;
	close(): Promise<void>;
}

export interface HistoryEntry {
	migrationId: string;
	phase: string;
	message: string;
	at: string;
	durationMs?: number;
}

export interface StoredMigration {
	id: string;
	title: string;
	phase: MigrationPhase;
	fingerprint: string;
	/** The schema whose tables it changes. */
	schema: string;
	/** The schema of views the new application version uses (see versions.ts). */
	versionSchema: string;
	steps: Step[];
	startedAt: string;
	updatedAt: string;
	completedAt?: string;
	/** The migration before it in the history (`migrate DIR`). */
	parent?: string;
	/** Recorded by `baseline`: the schema as it was, nothing run. */
	baseline?: boolean;
}

/** A committed backfill batch: the keys after `afterKey` (null: from the start) up to `lastKey`. */
export interface BackfillBatch {
	seq: number;
	/** The batch's first page and the page after its last, as text (a key range before pages). */
	afterKey: string | null;
	lastKey: string;
	/** The rows it filled. */
	rows: number;
	/** The table's files when it was filled: its pages mean nothing in others; null for a key range. */
	pagesOf: string | null;
}

/**
 * The executor's memory: every step's status and SQL, the phase, history and backfill batches,
 * stored so a killed run resumes exactly where it was.
 */
export interface StateStore {
	ensure(db: Database): Promise<void>;
	load(db: Queryable, id: string): Promise<StoredMigration | undefined>;
	active(db: Queryable): Promise<StoredMigration | undefined>;
	saveNew(tx: Queryable, plan: Plan): Promise<void>;
	saveStepStatus(tx: Queryable, id: string, step: Step): Promise<void>;
	savePhase(tx: Queryable, id: string, phase: MigrationPhase): Promise<void>;
	addHistory(tx: Queryable, entry: Omit<HistoryEntry, 'at'>): Promise<HistoryEntry>;
	backfillBatches(db: Queryable, id: string, step: number): Promise<BackfillBatch[]>;
	/** What the replica lag throttle did to a backfill step: created when first needed, then summed. */
	ensureThrottleRecord(db: Queryable): Promise<void>;
	addThrottleFigures(db: Queryable, id: string, step: number, figures: ThrottleFigures): Promise<void>;
}

/** The SQLSTATE of a driver error, whichever driver threw it. */
export function sqlState(error: unknown): string | undefined {
	if (error && typeof error === 'object' && 'code' in error) {
		const code = (error as {code: unknown}).code;
		if (typeof code === 'string' && /^[\dA-Z]{5}$/.test(code)) return code;
	}

	return undefined;
}
