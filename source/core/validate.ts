import type {Database} from './ports.js';
import {ZdmError} from './errors.js';
import type {Fragment} from './operations/operation.js';
import {ident, printable, shown} from './sql.js';

class Abort extends Error {}

/**
 * Prove each expression from the plan file is one expression over the table's columns, of a type
 * that converts to the column's, before anything runs. It is evaluated over a row-less stand-in
 * for the table in a READ ONLY transaction that is always rolled back, and sent with the
 * extended protocol, so a smuggled second statement is refused by the server.
 */
export async function validateFragments(db: Database, fragments: Fragment[]): Promise<void> {
	if (fragments.length === 0) return;
	try {
		await db.transaction(async tx => {
			await tx.query('SET TRANSACTION READ ONLY');
			// A type from the plan file is written into DDL as text: prove it is one type name and
			// nothing more (`text, DROP COLUMN email` is not), sent as a parameter.
			for (const type of new Set(fragments.flatMap(fragment => (fragment.castTo ? [fragment.castTo] : [])))) {
				let known = false;
				try {
					await tx.query('SAVEPOINT zdm_type');
					known = (await tx.query<{known: boolean}>('SELECT to_regtype($1) IS NOT NULL AS known', [type])).rows[0]!.known;
					await tx.query('RELEASE SAVEPOINT zdm_type');
				} catch {
					await tx.query('ROLLBACK TO SAVEPOINT zdm_type');
				}

				const what = fragments.find(fragment => fragment.castTo === type)!.what.replace(/\.(up|down|default|type|column\.default|column\.type|column\.check\.constraint)$/, '');
				if (!known) throw new ZdmError('validation', `${what}: ${shown(type)} is not a type`, 'write a PostgreSQL type name, e.g. text, bigint, varchar(100), timestamptz');
			}

			for (const fragment of fragments) {
				const columns = fragment.table.columns
					.filter(column => !(fragment.bind && column.name in fragment.bind))
					.map(column => `NULL::${column.type} AS ${ident(column.name)}`);
				for (const [name, type] of Object.entries(fragment.bind ?? {})) columns.push(`NULL::${type} AS ${ident(name)}`);
				const value = fragment.castTo ? `CAST((\n${fragment.expression}\n) AS ${fragment.castTo})` : `(\n${fragment.expression}\n)`;
				const sql = `SELECT ${value} FROM (SELECT ${columns.join(', ') || '1'} WHERE false) AS ${ident(fragment.table.name)}`;
				try {
					await tx.query('SAVEPOINT zdm_fragment');
					await tx.query(sql);
					await tx.query('RELEASE SAVEPOINT zdm_fragment');
				} catch (error) {
					const reason = printable((error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200));
					throw new ZdmError('validation', `${fragment.what}: ${reason}`, `write one SQL expression over the columns of ${shown(fragment.table.name)}${fragment.castTo ? ` that converts to ${fragment.castTo}` : ''}`);
				}
			}

			throw new Abort();
		});
	} catch (error) {
		if (!(error instanceof Abort)) throw error;
	}
}
