import {ZdmError} from '../core/errors.js';
import {ident, qualified} from '../core/sql.js';
import type {Queryable} from './database.js';

export const defaultDemoRows = 400_000;

/** The lab's demo table: alice and bob first, then generated users. `schema` (default public) is created when missing. */
export async function seedUsers(db: Queryable & {transaction?: unknown}, options: {rows: number; force?: boolean; schema?: string}): Promise<{created: boolean; rows: number}> {
	if (!Number.isSafeInteger(options.rows) || options.rows < 0 || options.rows > 50_000_000) {
		throw new ZdmError('bad-input', `--rows must be a whole number from 0 to 50000000, got ${options.rows}`, 'e.g. --rows 10000');
	}

	const schema = options.schema ?? 'public';
	const users = qualified(schema, 'users');
	if (await hasUsers(db, schema)) {
		if (!options.force) throw new ZdmError('refused', `a table "users" already exists${schema === 'public' ? '' : ` in schema ${ident(schema)}`}`, 'pass --force to drop and recreate it (its rows are lost)');
		await db.query(`DROP TABLE ${users} CASCADE`);
	}

	// WHY only when missing? CREATE SCHEMA IF NOT EXISTS still asks for the CREATE privilege on the database.
	const {rows} = await db.query<{exists: boolean}>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists', [schema]);
	if (!rows[0]!.exists) await db.query(`CREATE SCHEMA ${ident(schema)}`);
	await db.query(`CREATE TABLE ${users} (id bigserial PRIMARY KEY, username text NOT NULL, email text)`);
	await db.query(`INSERT INTO ${users} (username, email) VALUES ('alice', 'alice@example.com'), ('bob', 'bob@example.com')`);
	if (options.rows > 0) {
		await db.query(
			`INSERT INTO ${users} (username, email) SELECT 'user' || g, 'user' || g || '@example.com' FROM generate_series(3, $1::int + 2) AS g`,
			[options.rows],
		);
	}

	await db.query(`ANALYZE ${users}`);
	return {created: true, rows: options.rows + 2};
}

export async function hasUsers(db: Queryable, schema = 'public'): Promise<boolean> {
	const {rows} = await db.query<{exists: boolean}>('SELECT to_regclass($1) IS NOT NULL AS exists', [qualified(schema, 'users')]);
	return rows[0]!.exists;
}
