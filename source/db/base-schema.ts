import {ZdmError} from '../core/errors.js';
import {ident} from '../core/sql.js';
import type {Database} from './database.js';

/**
 * The schema --schema names must be there before anything reads or changes it: a missing one
 * would otherwise read as a schema with no tables, and every plan would fail to find its table.
 */
export async function requireBaseSchema(db: Pick<Database, 'query' | 'label'>, schema: string): Promise<void> {
	const {rows} = await db.query<{exists: boolean}>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists', [schema]);
	if (rows[0]!.exists) return;
	throw new ZdmError('bad-input', `schema ${ident(schema)} does not exist on ${db.label}`, `create it first (CREATE SCHEMA ${ident(schema)}), or give the schema that holds your tables with --schema NAME`);
}
