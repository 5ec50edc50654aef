import type {Volatility} from '../core/lint/rule.js';
import type {Queryable} from './database.js';

/**
 * Every function's volatility by name, built-in or not, for the default rules. A name with
 * overloads counts as its most volatile one: a linter should not guess which overload a default calls.
 */
export async function readFunctionVolatility(db: Queryable): Promise<(name: string) => Volatility | undefined> {
	const {rows} = await db.query<{name: string; volatility: string}>(
		`SELECT proname AS name, CASE WHEN bool_or(provolatile = 'v') THEN 'volatile' WHEN bool_or(provolatile = 's') THEN 'stable' ELSE 'immutable' END AS volatility
		   FROM pg_proc GROUP BY proname`,
	);
	const volatility = new Map(rows.map(row => [row.name, row.volatility as Volatility]));
	return name => volatility.get(name);
}

/** The server's major version: 15 for 15.4. */
export async function serverMajorVersion(db: Queryable): Promise<number> {
	const {rows} = await db.query<{version: number | string}>(`SELECT current_setting('server_version_num')::int / 10000 AS version`);
	return Number(rows[0]!.version);
}
