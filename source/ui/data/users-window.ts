import {ident, qualified} from '../../core/sql.js';
import type {Queryable} from '../../db/database.js';
import type {UsersWindow} from '../state/users-window.js';

/*
 * Read-only queries for the table view, of a table or of a version schema's view of it. Each
 * reads at most a page of rows by keyset on the primary key (an index range scan), so a million
 * rows cost what ten do.
 */

export interface Shape {
	key?: string;
	columns: string[];
	estimatedRows: number;
}

/**
 * Where each column of a simple view comes from: its stored query's target list names, for each
 * view column (resno), the table and column it reads (resorigtbl, resorigcol). PostgreSQL offers
 * no catalog view of this mapping; these fields of the node tree have long kept their order.
 */
export function viewColumnOrigins(tree: string): Array<{column: number; table: number; tableColumn: number}> {
	return [...tree.matchAll(/:resno (\d+) :resname (?:\\.|\S)+ :ressortgroupref \d+ :resorigtbl (\d+) :resorigcol (\d+)/g)].map(match => ({column: Number(match[1]), table: Number(match[2]), tableColumn: Number(match[3])}));
}

/**
 * A table's columns, single-column primary key and estimated rows. For a view (a version schema's),
 * the key is the base table's, under the name the view gives it: paging by it through a simple
 * view is the same index range scan on the table.
 */
export async function shapeOf(db: Queryable, schema: string, table: string): Promise<Shape | undefined> {
	const {rows} = await db.query<{column: string; attnum: number; is_key: boolean; estimate: number | string; relkind: string; tree: string | null}>(
		`SELECT a.attname AS column, a.attnum,
		        EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1 AND i.indkey[0] = a.attnum) AS is_key,
		        c.reltuples AS estimate, c.relkind::text AS relkind,
		        (SELECT r.ev_action::text FROM pg_rewrite r WHERE r.ev_class = c.oid AND c.relkind = 'v' LIMIT 1) AS tree
		   FROM pg_class c
		   JOIN pg_namespace n ON n.oid = c.relnamespace
		   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		  WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v')
		  ORDER BY a.attnum`,
		[schema, table],
	);
	if (rows.length === 0) return undefined;
	const columns = rows.map(row => row.column);
	if (rows[0]!.relkind !== 'v') return {key: rows.find(row => row.is_key)?.column, columns, estimatedRows: Math.max(0, Number(rows[0]!.estimate))};
	const origins = viewColumnOrigins(rows[0]!.tree ?? '');
	const tables = [...new Set(origins.map(origin => origin.table))];
	// The base table's estimate, and its key if it has one (a table without one still has rows).
	const {rows: keys} = await db.query<{table: number | string; key: number | null; estimate: number | string}>(
		`SELECT c.oid::bigint AS table, i.indkey[0]::int AS key, c.reltuples AS estimate
		   FROM pg_class c LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1
		  WHERE c.oid = ANY($1::oid[])
		  ORDER BY i.indrelid IS NULL`,
		[tables.map(String)],
	);
	const base = keys[0];
	const keyColumn = base && origins.find(origin => origin.table === Number(base.table) && origin.tableColumn === base.key)?.column;
	return {key: rows.find(row => row.attnum === keyColumn)?.column, columns, estimatedRows: Math.max(0, Number(base?.estimate ?? 0))};
}

export interface WindowRequest {
	schema?: string;
	table: string;
	/** What to say when there is no such table or view (default: not yet). */
	missing?: string;
	/** The version shown does not have this table (the plan creates or drops it): say this, read nothing. */
	absent?: string;
	/** Show rows after this key (null: from the first row). */
	after: string | null;
	limit: number;
}

/** `known`: the table's shape when the caller knows it has not changed (during a backfill). */
export async function readUsersWindow(db: Queryable, request: WindowRequest, known?: Shape): Promise<UsersWindow & {shape?: Shape}> {
	const schema = request.schema ?? 'public';
	const empty = {schema, table: request.table, key: '', columns: [], rows: [], estimatedRows: 0, after: null};
	if (request.absent !== undefined) return {...empty, unavailable: request.absent};
	const shape = known ?? (await shapeOf(db, schema, request.table));
	if (!shape) return {...empty, unavailable: request.missing ?? `no table "${request.table}" yet`};
	const select = shape.columns.map(column => `t.${ident(column)}::text AS ${ident(column)}`).join(', ');
	if (!shape.key) {
		// Nothing to page by: the first rows as a scan meets them, numbered; the window does not move.
		const {rows} = await db.query<Record<string, string | null>>(`SELECT ${select} FROM ${qualified(schema, request.table)} AS t LIMIT $1`, [request.limit]);
		return {...empty, columns: shape.columns, rows: rows.map((cells, index) => ({key: String(index + 1), cells})), estimatedRows: shape.estimatedRows, shape};
	}

	// Qualified with the alias: ORDER BY "id" alone would sort by the text output column.
	const key = `t.${ident(shape.key)}`;
	const where = request.after === null ? '' : `WHERE ${key} > $2`;
	const params: unknown[] = request.after === null ? [request.limit] : [request.limit, request.after];
	const {rows} = await db.query<Record<string, string | null>>(`SELECT ${select} FROM ${qualified(schema, request.table)} AS t ${where} ORDER BY ${key} LIMIT $1`, params);
	return {
		schema,
		table: request.table,
		key: shape.key,
		columns: shape.columns,
		rows: rows.map(row => ({key: row[shape.key!] ?? '', cells: row})),
		estimatedRows: shape.estimatedRows,
		after: request.after,
		shape,
	};
}

/**
 * The key `by` rows further down (positive) or up (negative) from `after`, walking the index:
 * the cost is the distance moved, never the table's size. Null means "from the first row".
 */
export async function moveWindow(db: Queryable, window: UsersWindow, by: number): Promise<string | null> {
	if (!window.key || by === 0) return window.after;
	const key = `t.${ident(window.key)}`;
	const table = `${qualified(window.schema, window.table)} AS t`;
	if (by > 0) {
		// A parameter compared with the key takes the key's type, so the index range scan is kept.
		const {rows} = await db.query<{key: string}>(
			`SELECT ${key}::text AS key FROM ${table} ${window.after === null ? '' : `WHERE ${key} > $2`} ORDER BY ${key} LIMIT $1`,
			window.after === null ? [by + 1] : [by + 1, window.after],
		);
		if (rows.length === by + 1) return rows[by - 1]!.key;
		// Near the end: keep the last row on screen rather than scrolling into nothing.
		return rows.length >= 2 ? rows.at(-2)!.key : window.after;
	}

	if (window.after === null) return null;
	const {rows} = await db.query<{key: string}>(`SELECT ${key}::text AS key FROM ${table} WHERE ${key} <= $2 ORDER BY ${key} DESC LIMIT $1`, [-by + 1, window.after]);
	// Moving up past the first row lands on the start.
	return rows.length === -by + 1 ? rows.at(-1)!.key : null;
}
