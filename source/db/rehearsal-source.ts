import pg from 'pg';
import {ZdmError} from '../core/errors.js';
import {ident, qualified} from '../core/sql.js';
import {describeUrl} from './postgres.js';

/*
 * The production side of a rehearsal: one connection, one REPEATABLE READ, READ ONLY transaction
 * that is rolled back at the end. Only catalog and statistics queries run in it (and, with
 * --copy-rows, SELECTs of a sample); its snapshot is exported so pg_dump reads the same instant.
 */

export interface TableKey {
	schema: string;
	table: string;
}

export const tableKey = ({schema, table}: TableKey) => `${schema}.${table}`;

export interface RehearsalSource {
	/** "host:port/database", never a password. */
	readonly label: string;
	readonly serverMajor: number;
	readonly serverVersion: string;
	/** For pg_dump --snapshot: the same instant as our own reads. */
	readonly snapshot: string;
	/** Whether the server has zdm's state schema (its rows continue in the copy). */
	hasState(): Promise<boolean>;
	/** The planner's row estimate per table (pg_class.reltuples); null where never analyzed. */
	rowEstimates(): Promise<Map<string, number | null>>;
	/** Up to `limit` rows of a table, each as JSON text (--copy-rows). */
	sampleRows(table: TableKey, columns: string[], limit: number): Promise<string[]>;
	close(): Promise<void>;
}

export async function openRehearsalSource(url: string): Promise<RehearsalSource> {
	// WHY default_transaction_read_only too? The transaction is READ ONLY already; the setting makes
	// any statement outside it read-only as well, so no code path here can write.
	const client = new pg.Client({connectionString: url, application_name: 'zdm-tui rehearse', options: '-c default_transaction_read_only=on'});
	client.on('error', () => {});
	try {
		await client.connect();
	} catch (error) {
		const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
		throw new ZdmError('bad-input', `cannot connect to ${url.replace(/\/\/[^@/]*@/, '//…@')}: ${reason}`, 'check the URL and that the server is running');
	}

	try {
		await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
		const {rows} = await client.query<{num: string; version: string; snapshot: string}>("SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version, pg_export_snapshot() AS snapshot");
		const {num, version, snapshot} = rows[0]!;
		return {
			label: describeUrl(url),
			serverMajor: Math.floor(Number(num) / 10_000),
			serverVersion: version.split(' ')[0]!,
			snapshot,
			async hasState() {
				const result = await client.query<{present: boolean}>("SELECT to_regclass('zdm.migrations') IS NOT NULL AS present");
				return result.rows[0]!.present;
			},
			async rowEstimates() {
				// A partitioned table has no rows of its own: its leaves' estimates add up to its size.
				const result = await client.query<{schema: string; table: string; estimate: number | null}>(`
					SELECT n.nspname AS schema, c.relname AS table,
						CASE WHEN c.relkind = 'p'
							THEN (SELECT sum(leaf.reltuples) FROM pg_partition_tree(c.oid) AS tree JOIN pg_class AS leaf ON leaf.oid = tree.relid WHERE tree.isleaf AND leaf.reltuples >= 0)
							ELSE nullif(greatest(c.reltuples, -1), -1)
						END::float8 AS estimate
					FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
					WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'`);
				return new Map(result.rows.map(row => [tableKey(row), row.estimate === null ? null : Math.round(Number(row.estimate))]));
			},
			async sampleRows(table, columns, limit) {
				const list = columns.map(column => ident(column)).join(', ');
				// A savepoint: one table that cannot be read must not end the transaction for the others.
				await client.query('SAVEPOINT sample');
				try {
					// The alias has a space, so no column of the table can shadow it.
					const result = await client.query<{row: string}>(`SELECT row_to_json("zdm sample")::text AS row FROM (SELECT ${list} FROM ${qualified(table.schema, table.table)} LIMIT $1) AS "zdm sample"`, [limit]);
					await client.query('RELEASE SAVEPOINT sample');
					return result.rows.map(row => row.row);
				} catch (error) {
					await client.query('ROLLBACK TO SAVEPOINT sample');
					throw error;
				}
			},
			async close() {
				await client.query('ROLLBACK').catch(() => {});
				await client.end().catch(() => {});
			},
		};
	} catch (error) {
		await client.end().catch(() => {});
		throw error;
	}
}
