import {ZdmError} from '../core/errors.js';
import type {Queryable} from './database.js';

export const defaultDemoRows = 400_000;

/** The lab's demo table: alice and bob first, then generated users. */
export async function seedUsers(db: Queryable & {transaction?: unknown}, options: {rows: number; force?: boolean}): Promise<{created: boolean; rows: number}> {
	if (!Number.isSafeInteger(options.rows) || options.rows < 0 || options.rows > 50_000_000) {
		throw new ZdmError('bad-input', `--rows must be a whole number from 0 to 50000000, got ${options.rows}`, 'e.g. --rows 10000');
	}

	const {rows} = await db.query<{exists: boolean}>("SELECT to_regclass('public.users') IS NOT NULL AS exists");
	if (rows[0]!.exists) {
		if (!options.force) throw new ZdmError('refused', 'a table "users" already exists', 'pass --force to drop and recreate it (its rows are lost)');
		await db.query('DROP TABLE public.users CASCADE');
	}

	await db.query('CREATE TABLE public.users (id bigserial PRIMARY KEY, username text NOT NULL, email text)');
	await db.query("INSERT INTO public.users (username, email) VALUES ('alice', 'alice@example.com'), ('bob', 'bob@example.com')");
	if (options.rows > 0) {
		await db.query(
			"INSERT INTO public.users (username, email) SELECT 'user' || g, 'user' || g || '@example.com' FROM generate_series(3, $1::int + 2) AS g",
			[options.rows],
		);
	}

	await db.query('ANALYZE public.users');
	return {created: true, rows: options.rows + 2};
}

export async function hasUsers(db: Queryable): Promise<boolean> {
	const {rows} = await db.query<{exists: boolean}>("SELECT to_regclass('public.users') IS NOT NULL AS exists");
	return rows[0]!.exists;
}
