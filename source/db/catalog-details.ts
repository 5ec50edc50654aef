import type {ConstraintInfo, IndexInfo, TableInfo} from '../core/catalog.js';
import type {Queryable} from './database.js';

// node-postgres returns text[] as an array; PGlite may too, but parse the literal if not.
const textArray = (value: string[] | string | null) => (value === null ? [] : Array.isArray(value) ? value : String(value).replace(/^{|}$/g, '').split(',').filter(Boolean).map(c => c.replace(/^"|"$/g, '')));

/**
 * What the index, constraint and table-level operations need of each table: its indexes and
 * constraints as PostgreSQL would write them again, its replica identity, and column comments.
 */
export async function readTableDetails(db: Queryable, schema: string, tables: Map<string, TableInfo>): Promise<void> {
	const indexes = await db.query<{table: string; name: string; definition: string; columns: string[] | string; unique: boolean; constraint: string | null; replica: boolean; comment: string | null}>(
		`SELECT c.relname AS table, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
		        ARRAY(SELECT a.attname FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k)::text[] AS columns,
		        i.indisunique AS unique, i.indisreplident AS replica, obj_description(i.indexrelid, 'pg_class') AS comment,
		        (SELECT conname FROM pg_constraint WHERE conindid = i.indexrelid AND conrelid = c.oid AND contype IN ('p', 'u', 'x') LIMIT 1) AS constraint
		   FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 ORDER BY ic.relname`,
		[schema],
	);
	for (const row of indexes.rows) {
		const index: IndexInfo = {name: row.name, definition: row.definition, columns: textArray(row.columns), unique: Boolean(row.unique)};
		if (row.constraint) index.constraint = row.constraint;
		if (row.replica) index.replicaIdentity = true;
		if (row.comment !== null) index.comment = row.comment;
		(tables.get(row.table)?.indexes ?? []).push(index);
	}

	const constraints = await db.query<{table: string; name: string; type: ConstraintInfo['type']; columns: string[] | string | null; definition: string; validated: boolean; references: string | null; comment: string | null}>(
		`SELECT c.relname AS table, con.conname AS name, con.contype::text AS type, pg_get_constraintdef(con.oid) AS definition, con.convalidated AS validated,
		        ARRAY(SELECT a.attname FROM unnest(con.conkey) k JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k)::text[] AS columns,
		        CASE WHEN con.contype = 'f' THEN (SELECT relname FROM pg_class WHERE oid = con.confrelid) END AS references,
		        obj_description(con.oid, 'pg_constraint') AS comment
		   FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'c', 'f', 'x') ORDER BY con.conname`,
		[schema],
	);
	for (const row of constraints.rows) {
		const constraint: ConstraintInfo = {name: row.name, type: row.type, columns: textArray(row.columns), definition: row.definition, validated: Boolean(row.validated)};
		if (row.references !== null) constraint.references = row.references;
		if (row.comment !== null) constraint.comment = row.comment;
		tables.get(row.table)?.constraints?.push(constraint);
	}

	const details = await db.query<{table: string; replica: TableInfo['replicaIdentity']; column: string | null; comment: string | null}>(
		`SELECT c.relname AS table, c.relreplident::text AS replica, a.attname AS column, col_description(c.oid, a.attnum) AS comment
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		   LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NOT NULL
		  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
		[schema],
	);
	for (const row of details.rows) {
		const table = tables.get(row.table);
		if (!table) continue;
		table.replicaIdentity = row.replica;
		const column = row.column === null ? undefined : table.columns.find(known => known.name === row.column);
		if (column && row.comment !== null) column.comment = row.comment;
	}
}
