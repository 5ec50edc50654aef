import {ZdmError} from '../core/errors.js';
import {shown} from '../core/sql.js';

/** The flags every command may read, already parsed by meow. */
export interface CommandFlags {
	databaseUrl?: string;
	dataDir?: string;
	rows?: number;
	failAt?: number;
	json: boolean;
	yes: boolean;
	force: boolean;
	allow: string[];
	lockTimeout?: number;
	maxLockWait?: number;
	batchSize?: number;
	/** The batch time the backfill's size adapts to (pt-online-schema-change's --chunk-time). */
	batchMs?: number;
	backfillWorkers?: number;
	/** Streaming replicas the backfill keeps within maxLag. */
	replica?: string[];
	maxLag?: number;
	autoplay: boolean;
	speed?: number;
	/** Simulated application traffic during run/start: requests per second for each of v1 and v2. */
	traffic?: number;
	/** The longest wait the zero-downtime verdict allows; default: the lock timeout + 1 s. */
	waitThreshold?: number;
	/** lint: text (default), json or github (workflow annotations). */
	format?: string;
	/** lint: a .sql file runs in one transaction the migration tool opens. */
	assumeInTransaction?: boolean;
	/** lint: the PostgreSQL major version the migration runs on. */
	pgVersion?: number;
	/** The schema whose tables the plans change (the base schema); undefined means `public`. */
	schema?: string;
	/** rehearse: the database whose schema is copied (only read). */
	from?: string;
	/** The dashboard: rehearse on a copy of this database's schema. */
	rehearseFrom?: string;
	/** rehearse: copy up to N real rows a table instead of generating them. */
	copyRows?: number;
	/** migrate DIR: run the last migration to COMPLETE too. */
	complete?: boolean;
	/** latest: the version schema from this directory's files alone, no database. */
	local?: string;
	/** Contract without the verify step (its risk accepted). */
	skipVerify?: boolean;
}

export const defaultSchema = 'public';

/** The base schema the flags name: --schema, or `public`. */
export const baseSchema = (flags: Pick<CommandFlags, 'schema'>): string => flags.schema ?? defaultSchema;

/** --schema: a name PostgreSQL accepts, and not one of the schemas zdm or PostgreSQL keep for themselves. */
function checkSchema(schema: string | undefined) {
	if (schema === undefined) return;
	if (schema.length === 0 || schema.includes('\0') || Buffer.byteLength(schema, 'utf8') > 63) {
		throw new ZdmError('bad-input', `--schema needs a schema name of 1 to 63 bytes, got ${schema.length === 0 ? 'an empty one' : shown(schema)}`, 'e.g. --schema app (default: public)');
	}

	if (schema === 'zdm' || schema === 'information_schema' || schema.startsWith('pg_')) {
		throw new ZdmError('bad-input', `--schema ${shown(schema)} is ${schema === 'zdm' ? "zdm's own state schema" : "one of PostgreSQL's system schemas"}, not one whose tables zdm changes`, 'name the schema that holds your tables, e.g. --schema app (default: public)');
	}
}

/** meow turns "--rows abc" into NaN: say which flag, and what it takes. */
export function wholeNumber(flag: string, value: number | undefined, min: number, max: number): number | undefined {
	if (value === undefined) return undefined;
	if (!Number.isSafeInteger(value) || value < min || value > max) {
		throw new ZdmError('bad-input', `--${flag} must be a whole number from ${min} to ${max}, got ${Number.isNaN(value) ? 'something else' : value}`, `e.g. --${flag} ${min === 0 ? 1 : min}`);
	}

	return value;
}

export function checkFlags(flags: CommandFlags): CommandFlags {
	wholeNumber('rows', flags.rows, 0, 50_000_000);
	wholeNumber('fail-at', flags.failAt, 1, 1000);
	wholeNumber('lock-timeout', flags.lockTimeout, 10, 600_000);
	wholeNumber('max-lock-wait', flags.maxLockWait, 0, 86_400_000);
	wholeNumber('batch-size', flags.batchSize, 1, 1_000_000);
	wholeNumber('batch-ms', flags.batchMs, 5, 60_000);
	if (flags.batchSize !== undefined && flags.batchMs !== undefined) throw new ZdmError('bad-input', '--batch-size and --batch-ms both given: a fixed size does not adapt to a time', 'choose one: --batch-size N fixes the rows a batch, --batch-ms MS sizes batches to take about that long');
	wholeNumber('backfill-workers', flags.backfillWorkers, 1, 16);
	wholeNumber('max-lag', flags.maxLag, 1, 3_600_000);
	const replicas = flags.replica ?? [];
	if (flags.maxLag !== undefined && replicas.length === 0) throw new ZdmError('bad-input', '--max-lag needs a replica to measure', 'add --replica URL (a streaming replica of the database), or drop --max-lag');
	for (const url of replicas) {
		if (!/^postgres(ql)?:\/\//.test(url)) throw new ZdmError('bad-input', `--replica needs a PostgreSQL URL, got "${url.slice(0, 40)}"`, 'e.g. --replica postgres://user@replica-host:5432/app');
	}

	if (replicas.length > 0 && !flags.databaseUrl && !process.env.DATABASE_URL) throw new ZdmError('bad-input', '--replica needs a server: the embedded database has no replicas', 'add --database-url URL of the primary, or drop --replica');
	wholeNumber('speed', flags.speed, 10, 600_000);
	// 0 means off, so a script can pass the rate through whatever it is.
	wholeNumber('traffic', flags.traffic, 0, 10_000);
	wholeNumber('wait-threshold', flags.waitThreshold, 1, 3_600_000);
	checkSchema(flags.schema);
	wholeNumber('copy-rows', flags.copyRows, 1, 10_000_000);
	if (flags.databaseUrl && flags.dataDir) throw new ZdmError('bad-input', '--database-url and --data-dir both given', 'choose one: a server, or the embedded database');
	return flags;
}
