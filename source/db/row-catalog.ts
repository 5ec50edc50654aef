import {ident, qualified} from '../core/sql.js';
import type {Queryable} from './database.js';
import type {TableKey} from './rehearsal-source.js';

/*
 * What the embedded copy knows about its tables once the schema is loaded, and before any row is
 * in: which tables take rows, their columns and types, their single-column unique keys and CHECKs.
 */

export interface ColumnInfo {
	name: string;
	/** format_type: what a value is cast to, e.g. numeric(8,2), public.order_status. */
	type: string;
	notNull: boolean;
	/** Identity, generated, or a sequence default: the database fills it. */
	automatic: boolean;
	/** GENERATED ALWAYS AS (…) STORED: computed from the row, never written. */
	generated: boolean;
	hasDefault: boolean;
	/** The type under a domain: its name (int4, text, …), kind (b, e, …) and category (N, S, A, …). */
	base: string;
	baseType: string;
	baseKind: string;
	category: string;
	typmod: number;
	/** For arrays: the element type's name, kind, category and format_type. */
	element?: {base: string; baseType: string; baseKind: string; category: string};
	/** The only column of a unique index or primary key. */
	unique: boolean;
}

export interface TableInfo extends TableKey {
	oid: number;
	columns: ColumnInfo[];
	/** CHECK constraints of its own: name and pg_get_constraintdef text. */
	checks: Array<{name: string; definition: string}>;
	/**
	 * A partitioned table: what a row must meet to fit one of its partitions (a condition per leaf,
	 * any of them will do); empty when it has none, undefined when any row fits (a default partition).
	 */
	partitions?: string[];
}

/**
 * Tables that take rows: ordinary and partitioned ones (a partition gets its rows through its
 * parent), not zdm's state (copied as it is) and not an extension's own tables.
 */
export async function rowTables(db: Queryable): Promise<TableInfo[]> {
	const {rows: tables} = await db.query<{oid: number; schema: string; table: string; partitions: Array<string | null> | null}>(`
		SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table,
			CASE WHEN c.relkind = 'p' THEN ARRAY(SELECT pg_get_partition_constraintdef(tree.relid) FROM pg_partition_tree(c.oid) AS tree WHERE tree.isleaf) END AS partitions
		FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
			AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'zdm') AND n.nspname !~ '^pg_'
			AND NOT EXISTS (SELECT 1 FROM pg_depend AS d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY n.nspname, c.relname`);
	const oids = tables.map(table => table.oid);
	const {rows: columns} = await db.query<{oid: number; name: string; type: string; not_null: boolean; automatic: boolean; generated: boolean; has_default: boolean; base: string; base_type: string; base_kind: string; category: string; typmod: number; element: string | null; element_type: string | null; element_kind: string | null; element_category: string | null}>(
		`SELECT a.attrelid::int AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
			(a.attidentity <> '' OR a.attgenerated <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid) ~ '^nextval\\(', false)) AS automatic,
			a.attgenerated <> '' AS generated, d.adbin IS NOT NULL AS has_default,
			base.typname AS base, format_type(base.oid, NULL) AS base_type, base.typtype AS base_kind, base.typcategory AS category,
			CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
			elem.typname AS element, format_type(elem.oid, NULL) AS element_type, elem.typtype AS element_kind, elem.typcategory AS element_category
		FROM pg_attribute AS a
		JOIN pg_type AS t ON t.oid = a.atttypid
		JOIN pg_type AS base ON base.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
		LEFT JOIN pg_type AS elem ON elem.oid = base.typelem AND base.typcategory = 'A'
		LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attrelid, a.attnum`,
		[oids],
	);
	const {rows: unique} = await db.query<{oid: number; name: string}>(
		`SELECT i.indrelid::int AS oid, a.attname AS name FROM pg_index AS i JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE i.indisunique AND i.indnkeyatts = 1 AND i.indexprs IS NULL AND i.indrelid = ANY($1::oid[])`,
		[oids],
	);
	const {rows: checks} = await db.query<{oid: number; name: string; definition: string}>(
		`SELECT conrelid::int AS oid, conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
		WHERE contype = 'c' AND conislocal AND coninhcount = 0 AND convalidated AND conrelid = ANY($1::oid[]) ORDER BY conname`,
		[oids],
	);
	const uniqueColumns = new Set(unique.map(row => `${row.oid}.${row.name}`));
	return tables.map(({partitions, ...table}) => ({
		...table,
		...(partitions && !partitions.includes(null) ? {partitions: partitions as string[]} : {}),
		columns: columns
			.filter(column => column.oid === table.oid)
			.map(column => ({
				name: column.name,
				type: column.type,
				notNull: column.not_null,
				automatic: column.automatic,
				generated: column.generated,
				hasDefault: column.has_default,
				base: column.base,
				baseType: column.base_type,
				baseKind: column.base_kind,
				category: column.category,
				typmod: column.typmod,
				...(column.element ? {element: {base: column.element, baseType: column.element_type!, baseKind: column.element_kind!, category: column.element_category!}} : {}),
				unique: uniqueColumns.has(`${table.oid}.${column.name}`),
			})),
		checks: checks.filter(check => check.oid === table.oid).map(({name, definition}) => ({name, definition})),
	}));
}

/**
 * Sequences behind serial and identity columns, moved past the rows now in the table: a copied
 * row keeps its key, and the next insert must not collide with it.
 */
export async function advanceSequences(db: Queryable): Promise<void> {
	const {rows} = await db.query<{sequence: string; schema: string; table: string; column: string}>(`
		SELECT s.oid::regclass::text AS sequence, n.nspname AS schema, c.relname AS table, a.attname AS column
		FROM pg_depend AS d
		JOIN pg_class AS s ON s.oid = d.objid AND s.relkind = 'S'
		JOIN pg_class AS c ON c.oid = d.refobjid
		JOIN pg_namespace AS n ON n.oid = c.relnamespace
		JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
		WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND n.nspname <> 'zdm'`);
	for (const row of rows) {
		await db.query(`SELECT setval($1::regclass, max_key) FROM (SELECT max(${ident(row.column)})::bigint AS max_key FROM ${qualified(row.schema, row.table)}) AS m WHERE max_key IS NOT NULL`, [row.sequence]);
	}
}
