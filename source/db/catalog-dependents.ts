import type {DependentInfo, SequenceInfo, TableInfo} from '../core/catalog.js';
import type {Queryable} from './database.js';

/**
 * What hangs on a table's columns, as PostgreSQL defines it: indexes, constraints both ways and
 * statistics objects with their own definitions (pg_get_indexdef, pg_get_constraintdef,
 * pg_get_statisticsobjdef), and each column's sequence, comment, grants and settings. A type
 * change rebuilds all of it over the new column, so it is read, never re-derived.
 */

// node-postgres returns text[] as an array; PGlite may too, but parse the literal if not.
export const textArray = (value: string[] | string | null) =>
	value === null ? [] : Array.isArray(value) ? value : String(value).replace(/^{|}$/g, '').split(',').filter(Boolean).map(c => c.replace(/^"|"$/g, ''));

/** The names of a pg_constraint column list, in its order. */
const keyNames = (list: string, relation: string) =>
	`ARRAY(SELECT a.attname FROM unnest(${list}) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = ${relation} AND a.attnum = k.attnum ORDER BY k.ord)::text[]`;

/** Every column an object depends on (pg_depend records key columns and those its expressions read), key columns first. */
const dependedColumns = (classid: string, objid: string, keys: string) =>
	`ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND (a.attnum = ANY (${keys}) OR EXISTS (
	   SELECT 1 FROM pg_depend d WHERE d.classid = '${classid}'::regclass AND d.objid = ${objid} AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid = a.attnum))
	  ORDER BY array_position(${keys}::int2[], a.attnum) NULLS LAST, a.attnum)::text[]`;

type DependentRow = {
	table: string;
	kind: DependentInfo['kind'];
	name: string;
	columns: string[] | string;
	definition: string;
	comment: string | null;
};

export async function readDependents(db: Queryable, schema: string, tables: Map<string, TableInfo>): Promise<void> {
	const add = (row: DependentRow, extra: Partial<DependentInfo>) => {
		const table = tables.get(row.table);
		if (!table) return;
		(table.dependents ??= []).push({kind: row.kind, name: row.name, columns: textArray(row.columns), definition: row.definition, ...(row.comment === null ? {} : {comment: row.comment}), ...extra});
	};

	const indexes = await db.query<DependentRow & {unique: boolean; simple: boolean; constraint: string | null; contype: string | null; primary: boolean; deferrable: boolean | null; deferred: boolean | null; constraint_comment: string | null; clustered: boolean; replident: boolean; tablespace: string | null}>(
		`SELECT c.relname AS table, 'index' AS kind, ic.relname AS name, ${dependedColumns('pg_class', 'i.indexrelid', 'i.indkey')} AS columns,
		        i.indisunique AS unique, (i.indnatts = 1 AND i.indexprs IS NULL AND i.indpred IS NULL AND 0 <> ALL (i.indkey)) AS simple,
		        con.conname AS constraint, con.contype::text AS contype, i.indisprimary AS primary, con.condeferrable AS deferrable, con.condeferred AS deferred,
		        pg_get_indexdef(i.indexrelid) AS definition, obj_description(i.indexrelid, 'pg_class') AS comment, obj_description(con.oid, 'pg_constraint') AS constraint_comment,
		        i.indisclustered AS clustered, i.indisreplident AS replident, ts.spcname AS tablespace
		   FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		   LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = c.oid AND con.contype IN ('u', 'p', 'x')
		   LEFT JOIN pg_tablespace ts ON ts.oid = ic.reltablespace
		  WHERE n.nspname = $1
		  ORDER BY ic.relname`,
		[schema],
	);
	const constraintType = {u: 'unique', p: 'primary key', x: 'exclude'} as const;
	for (const row of indexes.rows) {
		add(row, {
			unique: row.unique,
			simple: row.simple,
			primary: row.primary,
			...(row.constraint === null ? {} : {constraint: row.constraint, constraintType: constraintType[row.contype as 'u' | 'p' | 'x'], deferrable: Boolean(row.deferrable), deferred: Boolean(row.deferred)}),
			...(row.constraint_comment === null ? {} : {constraintComment: row.constraint_comment}),
			...(row.clustered ? {clustered: true} : {}),
			...(row.replident ? {replicaIdentity: true} : {}),
			...(row.tablespace === null ? {} : {tablespace: row.tablespace}),
		});
	}

	const constraints = await db.query<DependentRow & {validated: boolean; deferrable: boolean; deferred: boolean; ref_schema: string | null; ref_table: string | null; ref_columns: string[] | string | null; ref_types: string[] | string | null}>(
		`SELECT c.relname AS table, CASE con.contype WHEN 'c' THEN 'check' ELSE 'foreign key' END AS kind, con.conname AS name, ${keyNames('con.conkey', 'c.oid')} AS columns,
		        pg_get_constraintdef(con.oid) AS definition, obj_description(con.oid, 'pg_constraint') AS comment, con.convalidated AS validated,
		        con.condeferrable AS deferrable, con.condeferred AS deferred, NULL AS ref_schema, NULL AS ref_table, NULL AS ref_columns, NULL AS ref_types
		   FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND con.contype IN ('c', 'f') AND con.conparentid = 0
		 UNION ALL
		 SELECT c.relname, 'referenced by', con.conname, ${keyNames('con.confkey', 'c.oid')},
		        pg_get_constraintdef(con.oid), obj_description(con.oid, 'pg_constraint'), con.convalidated, con.condeferrable, con.condeferred,
		        rn.nspname, r.relname, ${keyNames('con.conkey', 'r.oid')},
		        ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[]
		   FROM pg_constraint con JOIN pg_class c ON c.oid = con.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		   JOIN pg_class r ON r.oid = con.conrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
		  WHERE n.nspname = $1 AND con.contype = 'f' AND con.conparentid = 0
		  ORDER BY 3`,
		[schema],
	);
	for (const row of constraints.rows) {
		add(row, {
			validated: row.validated,
			deferrable: row.deferrable,
			deferred: row.deferred,
			...(row.ref_table === null ? {} : {referencing: {schema: row.ref_schema!, table: row.ref_table, columns: textArray(row.ref_columns), types: textArray(row.ref_types)}}),
		});
	}

	const statistics = await db.query<DependentRow & {schema: string; target: number | null}>(
		`SELECT c.relname AS table, 'statistics' AS kind, s.stxname AS name, sn.nspname AS schema, ${dependedColumns('pg_statistic_ext', 's.oid', 's.stxkeys')} AS columns,
		        pg_get_statisticsobjdef(s.oid) AS definition, obj_description(s.oid, 'pg_statistic_ext') AS comment, NULLIF(COALESCE(s.stxstattarget::int, -1), -1) AS target
		   FROM pg_statistic_ext s JOIN pg_class c ON c.oid = s.stxrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_namespace sn ON sn.oid = s.stxnamespace
		  WHERE n.nspname = $1
		  ORDER BY s.stxname`,
		[schema],
	);
	for (const row of statistics.rows) add(row, {schema: row.schema, ...(row.target === null ? {} : {statisticsTarget: Number(row.target)})});
}

/** Each column's sequence, comment, column grants, statistics target and options. */
export async function readColumnDetails(db: Queryable, schema: string, tables: Map<string, TableInfo>): Promise<void> {
	const column = (table: string, name: string) => tables.get(table)?.columns.find(c => c.name === name);
	const details = await db.query<{table: string; column: string; comment: string | null; statistics: number | null; options: string[] | string | null; generated: boolean}>(
		`SELECT c.relname AS table, a.attname AS column, col_description(c.oid, a.attnum) AS comment,
		        NULLIF(COALESCE(a.attstattarget::int, -1), -1) AS statistics, a.attoptions::text[] AS options, a.attgenerated <> '' AS generated
		   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
		    AND (col_description(c.oid, a.attnum) IS NOT NULL OR COALESCE(a.attstattarget::int, -1) <> -1 OR a.attoptions IS NOT NULL OR a.attgenerated <> '')`,
		[schema],
	);
	for (const row of details.rows) {
		const found = column(row.table, row.column);
		if (!found) continue;
		if (row.comment !== null) found.comment = row.comment;
		if (row.statistics !== null) found.statistics = Number(row.statistics);
		if (row.options !== null) found.options = textArray(row.options);
		if (row.generated) found.generated = true;
	}

	const grants = await db.query<{table: string; column: string; grantee: string; privilege: string; grantable: boolean}>(
		`SELECT c.relname AS table, a.attname AS column, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END AS grantee,
		        g.privilege_type AS privilege, g.is_grantable AS grantable
		   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(a.attacl) g
		  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
		  ORDER BY 1, 2, 3, 4`,
		[schema],
	);
	for (const row of grants.rows) {
		const found = column(row.table, row.column);
		if (found) (found.grants ??= []).push({grantee: row.grantee, privilege: row.privilege, grantable: row.grantable});
	}

	const sequences = await db.query<{table: string; column: string; schema: string; name: string; deptype: string; identity: string; type: string; start: string; increment: string; min: string; max: string; cache: string; cycle: boolean}>(
		`SELECT c.relname AS table, a.attname AS column, sn.nspname AS schema, s.relname AS name, d.deptype::text AS deptype, a.attidentity::text AS identity,
		        format_type(ps.seqtypid, NULL) AS type, ps.seqstart::text AS start, ps.seqincrement::text AS increment, ps.seqmin::text AS min,
		        ps.seqmax::text AS max, ps.seqcache::text AS cache, ps.seqcycle AS cycle
		   FROM pg_depend d
		   JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace JOIN pg_sequence ps ON ps.seqrelid = s.oid
		   JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace
		   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
		  WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND n.nspname = $1`,
		[schema],
	);
	for (const row of sequences.rows) {
		const found = column(row.table, row.column);
		if (!found) continue;
		const sequence: SequenceInfo = {schema: row.schema, name: row.name, type: row.type, start: row.start, increment: row.increment, min: row.min, max: row.max, cache: row.cache, cycle: row.cycle};
		if (row.deptype === 'i') sequence.identity = row.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT';
		found.sequence = sequence;
	}
}
