import type {Catalog, DependentInfo, KeyColumn, TableInfo, VersionSchemaInfo} from '../core/catalog.js';
import {ident} from '../core/sql.js';
import {readColumnDetails, readDependents} from './catalog-dependents.js';
import type {Queryable} from './database.js';
import {readTableDetails} from './catalog-details.js';

/** Read every table of a schema the way the operations need it. */
export async function readCatalog(db: Queryable, schema = 'public'): Promise<Catalog> {
	const {rows} = await db.query<{table: string; column: string | null; type: string | null; not_null: boolean | null; default: string | null; pk: boolean | null; identity: boolean | null}>(
		`SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, a.attidentity <> '' AS identity,
		        a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default,
		        EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS pk
		   FROM pg_class c
		   JOIN pg_namespace n ON n.oid = c.relnamespace
		   LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		   LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
		  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
		  ORDER BY c.relname, a.attnum`,
		[schema],
	);
	const tables = new Map<string, TableInfo>();
	for (const row of rows) {
		let table = tables.get(row.table);
		if (!table) {
			table = {schema, name: row.table, columns: [], primaryKey: [], indexes: [], constraints: []};
			tables.set(row.table, table);
		}

		if (row.column === null) continue;
		table.columns.push({name: row.column, type: row.type!, notNull: Boolean(row.not_null), default: row.default, ...(row.identity ? {identity: true} : {})});
		if (row.pk) table.primaryKey.push(row.column);
	}

	await readDependents(db, schema, tables);
	await readColumnDetails(db, schema, tables);
	for (const row of (await readDependentObjects(db, schema))) {
		const table = tables.get(row.table);
		if (!table) continue;
		const known = table.dependents?.find(d => d.kind === row.kind && d.name === row.name);
		if (known) known.columns.push(row.column);
		else (table.dependents ??= []).push({kind: row.kind, name: row.name, columns: [row.column], ...(row.schema ? {schema: row.schema} : {})});
	}

	const grants = await db.query<{table: string; grantee: string; privilege: string}>(
		`SELECT c.relname AS table, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END AS grantee, g.privilege_type AS privilege
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) g
		  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND g.grantee <> c.relowner`,
		[schema],
	);
	for (const row of grants.rows) (tables.get(row.table)!.grants ??= []).push({grantee: row.grantee, privilege: row.privilege});
	const triggers = await db.query<{table: string; name: string; fires: 'O' | 'A' | 'R'}>(
		`SELECT c.relname AS table, t.tgname AS name, t.tgenabled AS fires
		   FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgname NOT LIKE '~zdm%' AND t.tgname NOT LIKE '!zdm%' AND t.tgname NOT LIKE '\\_zdm%' AND (t.tgtype & 1) = 1
		  ORDER BY t.tgname`,
		[schema],
	);
	for (const row of triggers.rows) {
		const table = tables.get(row.table);
		if (table) (table.triggers ??= []).push({name: row.name, fires: row.fires});
	}
	for (const row of (await readRowKeys(db, schema))) {
		const table = tables.get(row.table);
		if (table) (table.rowKeys ??= []).push({index: row.index, primary: row.primary, columns: typeof row.columns === 'string' ? (JSON.parse(row.columns) as KeyColumn[]) : row.columns});
	}

	await readTableDetails(db, schema, tables);
	const server = await db.query<{version: string; schemas: string[] | string; super: string}>("SELECT current_setting('server_version_num') AS version, ARRAY(SELECT nspname::text FROM pg_namespace) AS schemas, current_setting('is_superuser') AS super");
	const schemas = new Set(textArray(server.rows[0]!.schemas));
	const previousVersion = await readPreviousVersion(db, schema);
	return {
		schema,
		table: name => tables.get(name),
		tables: () => [...tables.keys()],
		serverVersion: Number(server.rows[0]!.version),
		schemaExists: name => schemas.has(name),
		mayReplicate: server.rows[0]!.super === 'on',
		...(previousVersion ? {previousVersion} : {}),
	};
}

/**
 * Views, materialized views, rules, policies, user triggers and generated columns that hang on a
 * column, from pg_depend: PostgreSQL records exactly which columns each of them reads.
 */
async function readDependentObjects(db: Queryable, schema: string) {
	const {rows} = await db.query<{table: string; column: string; kind: DependentInfo['kind']; name: string; schema: string | null}>(
		`SELECT DISTINCT c.relname AS table, a.attname AS column,
		        CASE WHEN r.oid IS NOT NULL THEN CASE WHEN r.rulename <> '_RETURN' THEN 'rule' WHEN v.relkind = 'm' THEN 'materialized view' ELSE 'view' END
		             WHEN p.oid IS NOT NULL THEN 'policy' WHEN ad.oid IS NOT NULL THEN 'generated column' ELSE 'trigger' END AS kind,
		        CASE WHEN r.oid IS NOT NULL AND r.rulename = '_RETURN' THEN format('%I.%I', vn.nspname, v.relname)
		             ELSE COALESCE(r.rulename, p.polname, t.tgname, ga.attname) END AS name,
		        CASE WHEN r.rulename = '_RETURN' THEN vn.nspname END AS schema
		   FROM pg_depend d
		   JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace
		   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
		   LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
		   LEFT JOIN pg_class v ON v.oid = r.ev_class LEFT JOIN pg_namespace vn ON vn.oid = v.relnamespace
		   LEFT JOIN pg_policy p ON d.classid = 'pg_policy'::regclass AND p.oid = d.objid
		   LEFT JOIN pg_trigger t ON d.classid = 'pg_trigger'::regclass AND t.oid = d.objid
		   LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
		   LEFT JOIN pg_attribute ga ON ga.attrelid = ad.adrelid AND ga.attnum = ad.adnum AND ga.attgenerated <> '' AND ga.attnum <> a.attnum
		  WHERE d.refclassid = 'pg_class'::regclass AND n.nspname = $1 AND d.refobjsubid > 0 AND c.relkind IN ('r', 'p')
		    AND (r.oid IS NOT NULL OR p.oid IS NOT NULL OR (t.oid IS NOT NULL AND NOT t.tgisinternal) OR ga.attnum IS NOT NULL)`,
		[schema],
	);
	return rows;
}

/**
 * The unique indexes that can name a backfilled table's rows (see RowKey): the index's collation
 * is given where it is not the column's, so rows are sorted exactly as the index does. WHY only the
 * default operator classes, all ascending (or all DESC NULLS FIRST, read backwards)? Rows are
 * sorted with the types' own < and >, which only such an index keeps (the backfill walked the key
 * with them until it filled ranges of pages).
 */
async function readRowKeys(db: Queryable, schema: string) {
	const {rows} = await db.query<{table: string; index: string; primary: boolean; columns: KeyColumn[] | string}>(
		`SELECT c.relname AS table, ic.relname AS index, i.indisprimary AS primary,
		        json_agg(json_strip_nulls(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
		                 'collation', CASE WHEN i.indcollation[k] <> a.attcollation THEN json_build_object('schema', cn.nspname, 'name', co.collname) END)) ORDER BY k) AS columns
		   FROM pg_index i
		   JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class ic ON ic.oid = i.indexrelid
		   CROSS JOIN LATERAL generate_series(0, i.indnkeyatts - 1) AS k
		   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[k]
		   JOIN pg_opclass o ON o.oid = i.indclass[k]
		   LEFT JOIN pg_collation co ON co.oid = i.indcollation[k] LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
		  WHERE n.nspname = $1 AND i.indisunique AND i.indisvalid AND i.indislive AND i.indpred IS NULL AND i.indexprs IS NULL
		  GROUP BY c.relname, ic.relname, i.indisprimary
		 HAVING bool_and(a.attnotnull AND o.opcdefault) AND (bool_and(i.indoption[k] = 0) OR bool_and(i.indoption[k] = 3))
		  ORDER BY 1, 2`,
		[schema],
	);
	return rows;
}

// node-postgres returns text[] as an array; PGlite may too, but parse the literal if not.
const textArray = (value: string[] | string) => (Array.isArray(value) ? value : String(value).replace(/^{|}$/g, '').split(',').filter(Boolean).map(c => c.replace(/^"|"$/g, '')));

/** The newest completed migration's version schema over `schema`, if it still exists. */
async function readPreviousVersion(db: Queryable, schema: string): Promise<VersionSchemaInfo | undefined> {
	const {rows: ready} = await db.query<{ready: boolean}>("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('zdm.migrations') AND attname = 'base_schema') AS ready");
	if (!ready[0]?.ready) return undefined;
	const {rows} = await db.query<{id: string; version_schema: string; views: string[] | string}>(
		`SELECT m.id, m.version_schema,
		        ARRAY(SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = m.version_schema AND c.relkind = 'v' ORDER BY c.relname) AS views
		   FROM zdm.migrations m
		  WHERE m.phase = 'COMPLETE' AND m.base_schema = $1 AND m.version_schema IS NOT NULL
		    AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = m.version_schema)
		  ORDER BY m.completed_at DESC NULLS LAST, m.started_at DESC LIMIT 1`,
		[schema],
	);
	const row = rows[0];
	return row && {name: row.version_schema, migrationId: row.id, views: textArray(row.views)};
}

/**
 * Everything that defines a table, as text: columns in order, constraints, indexes, triggers.
 * Two equal snapshots mean an identical definition — how a rollback is proved exact.
 */
export async function tableDefinition(db: Queryable, table: string, schema = 'public'): Promise<string> {
	const {rows} = await db.query<{line: string}>(
		`WITH t AS (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2)
		 SELECT line FROM (
		   SELECT 1 AS part, a.attnum::int AS ord, format('column %I %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
		          CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
		          COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')) AS line
		     FROM pg_attribute a JOIN t ON a.attrelid = t.oid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		    WHERE a.attnum > 0 AND NOT a.attisdropped
		   UNION ALL
		   SELECT 2, 0, format('constraint %I %s%s', conname, pg_get_constraintdef(oid), CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END)
		     FROM pg_constraint WHERE conrelid = (SELECT oid FROM t)
		   UNION ALL
		   SELECT 3, 0, format('index %s%s', pg_get_indexdef(indexrelid), CASE WHEN indisvalid THEN '' ELSE ' INVALID' END)
		     FROM pg_index WHERE indrelid = (SELECT oid FROM t)
		   UNION ALL
		   SELECT 4, 0, 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = (SELECT oid FROM t) AND NOT tgisinternal
		 ) parts ORDER BY part, ord, line`,
		[schema, table],
	);
	return rows.map(row => row.line).join('\n');
}

/** A hash of every row in key order: equal hashes, equal rows. */
export async function tableHash(db: Queryable, table: string, schema = 'public'): Promise<string> {
	const {rows} = await db.query<{hash: string | null; count: number | string}>(
		`SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS hash, count(*) AS count FROM ${ident(schema)}.${ident(table)} t`,
	);
	return `${rows[0]!.count}:${rows[0]!.hash ?? ''}`;
}

/** Functions, columns and triggers zdm left in a schema (_zdm…, sync triggers ~zdm… and !zdm…): there should be none at rest. */
export async function leftovers(db: Queryable, schema = 'public'): Promise<string[]> {
	const {rows} = await db.query<{name: string}>(
		`SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname LIKE '\\_zdm%'
		 UNION ALL SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  -- Tables only: an index keeps the name its column had when it was built (a shadow's), unseen by anyone.
		  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attname LIKE '\\_zdm%' AND NOT a.attisdropped AND a.attnum > 0
		 UNION ALL SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND (t.tgname LIKE '\\_zdm%' OR t.tgname LIKE '~zdm%' OR t.tgname LIKE '!zdm%')`,
		[schema],
	);
	return rows.map(row => row.name);
}
