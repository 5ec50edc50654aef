import type {RowKey, TableInfo} from './catalog.js';
import {keyWalk, tablePages} from './backfill-sql.js';
import type {VerifySpec} from './plan.js';
import {ident, qualified} from './sql.js';

/** What a verify step checks: a column a backfill filled, and how its value follows from the old row. */
export interface VerifiedColumn {
	/** The physical table, with every column the row has now (`down` reads them by name). */
	table: TableInfo;
	key: RowKey;
	/** The column the backfill filled, and its type. */
	column: string;
	type: string;
	/** old row → new value, over the row's columns by name, as the backfill computes it. */
	up: string;
	/**
	 * A type change: the old column, its type, and new → old with the names in `bind` reading the
	 * new column (as the sync trigger binds them).
	 */
	down?: {column: string; type: string; expression: string; bind: Record<string, string>};
}

/**
 * The statements of a verify step: the table's size in pages (its largest partition's), and for a range of pages
 * ($1 = its first tid, $2 = the tid after it) the rows read and, in key order, the rows no sync
 * direction explains, with their key and values as text.
 *
 * WHY pages rather than the backfill's key walk? Verify only reads, so it needs no key order:
 * a TID range scan reads the heap as a sequential scan does, several times faster than an index
 * walk of the same rows (on 1M rows, 3.4 s against 0.2 s for the scan). A row a writer moves
 * meanwhile may be read twice or not at all, and either way it was written through the sync
 * trigger, which keeps it right; every row that was there before and not rewritten is read once.
 *
 * WHY "either direction" for a type change? The sync trigger translates by writer: the old
 * version's writes (and the backfill) make new = up(old), the new version's make old = down(new).
 * Where up∘down does not round-trip (up: lower(email), down: email), a row the new version wrote
 * has new ≠ up(old), and is still right. A row neither holds for was written past the trigger.
 *
 * WHY only NULLs for add_column? Its trigger serves the old version alone: the new version sets
 * the column itself, and its value is the truth for that row whatever `up` says, so a non-NULL
 * value cannot be judged. A NULL where `up` gives a value is a row the backfill and the trigger
 * both missed. A nullable column may hold the new version's NULLs, so it is not verified at all.
 *
 * WHY compare as text? Then every type compares, json and point too (they have no equality), and
 * the same expression over the same row always renders the same text.
 */
export function verifySpec(v: VerifiedColumn): VerifySpec {
	const {table, key} = v;
	const target = qualified(table.schema, table.name);
	const walk = keyWalk(key);
	const newText = `${target}.${ident(v.column)}::text`;
	const upText = `CAST((\n${v.up}\n) AS ${v.type})::text`;
	// The lateral's names are zdm's own, so none can be mistaken for a column of the table.
	const shown = [`'key', ${walk.text(target)}`, `'new_value', ${newText}`, `'up_value', v.zdm_up`];
	const computed = [`${upText} AS zdm_up`];
	let mismatch: string;
	if (v.down) {
		const {down} = v;
		const bound = [
			...table.columns.filter(column => !(column.name in down.bind)).map(column => `${target}.${ident(column.name)} AS ${ident(column.name)}`),
			...Object.entries(down.bind).map(([name, source]) => `${target}.${ident(source)} AS ${ident(name)}`),
		];
		const oldText = `${target}.${ident(down.column)}::text`;
		computed.push(`(SELECT CAST((\n${down.expression}\n) AS ${down.type})::text FROM (SELECT ${bound.join(', ')}) AS bound) AS zdm_down`);
		shown.push(`'old_value', ${oldText}`, "'down_value', v.zdm_down");
		mismatch = `${newText} IS DISTINCT FROM v.zdm_up AND ${oldText} IS DISTINCT FROM v.zdm_down`;
	} else {
		mismatch = `${newText} IS NULL AND v.zdm_up IS NOT NULL`;
	}

	return {
		schema: table.schema,
		table: table.name,
		key,
		column: v.column,
		...(v.down ? {oldColumn: v.down.column} : {}),
		relation: target,
		// The backfill's own: a range of pages is read in the table and every descendant, up to the largest.
		pages: tablePages,
		check: [
			`SELECT count(*)::int AS rows, json_agg(json_build_object(${shown.join(', ')}) ORDER BY ${walk.order(target)}) FILTER (WHERE ${mismatch}) AS mismatches`,
			`FROM ${target} CROSS JOIN LATERAL (SELECT ${computed.join(', ')}) AS v`,
			`WHERE ${target}.ctid >= $1::tid AND ${target}.ctid < $2::tid`,
		].join('\n'),
	};
}

/** What a verify step shows as its forward SQL: exactly its two statements, in order. */
export const verifyForward = (spec: VerifySpec) => [spec.pages, spec.check];
