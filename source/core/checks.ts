import type {Database} from './ports.js';
import {ZdmError} from './errors.js';
import {physicalName, type TableInfo} from './catalog.js';
import {ident, printable, qualified, shown} from './sql.js';

/**
 * A question about the existing rows that must be answered "none" before the first step: what
 * contract would otherwise find only after a full backfill (NULLs where NOT NULL is coming, values
 * a conversion would cut). Its query returns no row when all is well, or one row: how many rows
 * offend, and the first one's key and value.
 */
export interface Check {
	what: string;
	sql: string;
	/** The one-line refusal for `count` offending rows, the first at `key` holding `value`. */
	problem(count: number, key: string | null, value: string | null): string;
	/** What a conversion error (PostgreSQL's own message) is about. */
	failing: string;
	hint: string;
}

class Abort extends Error {}

const firstLine = (error: unknown) => printable((error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200));

/** Run every check in a READ ONLY transaction that is always rolled back: nothing is changed. */
export async function runChecks(db: Database, checks: Check[]): Promise<void> {
	if (checks.length === 0) return;
	try {
		await db.transaction(async tx => {
			await tx.query('SET TRANSACTION READ ONLY');
			for (const check of checks) {
				let found: {count: number | string; key: string | null; value: string | null} | undefined;
				try {
					await tx.query('SAVEPOINT zdm_check');
					found = (await tx.query<{count: number | string; key: string | null; value: string | null}>(check.sql)).rows[0];
					await tx.query('RELEASE SAVEPOINT zdm_check');
				} catch (error) {
					throw new ZdmError('validation', `${check.what}: ${check.failing}: ${firstLine(error)}`, check.hint);
				}

				const count = Number(found?.count ?? 0);
				if (count > 0) throw new ZdmError('validation', `${check.what}: ${check.problem(count, found!.key, found!.value)}`, check.hint);
			}

			throw new Abort();
		});
	} catch (error) {
		if (!(error instanceof Abort)) throw error;
	}
}

/** The key columns as the table names them now (ctid when there is no key). */
const keyColumns = (table: TableInfo) => table.primaryKey.map(name => ident(physicalName(table.columns.find(c => c.name === name) ?? {name, type: '', notNull: true, default: null})));

/** The row's key as text, to point at the first offending row. */
function keyText(table: TableInfo): string {
	const key = keyColumns(table);
	if (key.length === 0) return 'ctid::text';
	return key.length === 1 ? `${key[0]}::text` : `ROW(${key.join(', ')})::text`;
}

/** The first offending row and how many there are: one scan, no row when there are none. */
const offending = (table: TableInfo, column: string, where: string) =>
	`SELECT count(*) OVER ()::bigint AS count, ${keyText(table)} AS key, left(${ident(column)}::text, 60) AS value FROM ${qualified(table.schema, table.name)} WHERE ${where} ORDER BY ${keyColumns(table).join(', ') || 'ctid'} LIMIT 1`;

const rows = (count: number) => `${count} ${count === 1 ? 'row' : 'rows'}`;

/** NOT NULL is coming for `column` (its name in the table now) and nothing fills its NULLs. */
export function nullCheck(at: string, table: TableInfo, column: string): Check {
	return {
		what: at,
		sql: offending(table, column, `${ident(column)} IS NULL`),
		problem: (count, key) => `${rows(count)} of ${table.name}.${column} ${count === 1 ? 'is' : 'are'} NULL (the first at key ${shown(key ?? '?')})`,
		failing: `counting the NULLs of ${table.name}.${column} failed`,
		hint: 'give "up": an expression for them, or fix them first',
	};
}

/**
 * A conversion with no `up` that is not a known-safe widening: every existing value must convert
 * and come back unchanged (`text → varchar(100)` would cut longer values, `numeric → int` round).
 */
export function conversionCheck(at: string, table: TableInfo, column: string, from: string, to: string): Check {
	const col = ident(column);
	return {
		what: at,
		sql: offending(table, column, `CAST(CAST(${col} AS ${to}) AS ${from}) IS DISTINCT FROM ${col}`),
		problem: (count, key, value) => `${rows(count)} of ${table.name}.${column} would change converting ${from} to ${to} (the first at key ${shown(key ?? '?')}: ${shown(value ?? 'NULL')})`,
		failing: `converting ${table.name}.${column} from ${from} to ${to} fails on existing rows`,
		hint: `give "up": an expression that says what such values become (e.g. left(${column}, 100)), or fix those rows first`,
	};
}
