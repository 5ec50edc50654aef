/**
 * The database port. Everything above it — executor, backfill, state, dashboard — is the same
 * whether the rows live in the embedded PGlite or on a PostgreSQL server.
 */
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

export interface Database extends Queryable {
	readonly kind: 'embedded' | 'server';
	/** Where the rows are, safe to print: never a password. */
	readonly label: string;
	/** Whether other connections can run at the same time as ours (a server) or not (PGlite). */
	readonly concurrent: boolean;
	transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
	session(): Promise<Session>;
	close(): Promise<void>;
}

/** The SQLSTATE of a driver error, whichever driver threw it. */
export function sqlState(error: unknown): string | undefined {
	if (error && typeof error === 'object' && 'code' in error) {
		const code = (error as {code: unknown}).code;
		if (typeof code === 'string' && /^[\dA-Z]{5}$/.test(code)) return code;
	}

	return undefined;
}
