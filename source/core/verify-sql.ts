import type {RowKey, TableInfo} from './catalog.js';
import {keyWalk} from './backfill-sql.js';
import type {BackfillSpec, VerifySpec} from './plan.js';
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
 * The statements of a verify step: the backfill's own walk over the key (read only), and for each
 * range the first rows (up to 3, in key order) no sync direction explains, with their values as
 * text. $1 = the range's last key for the first batch; $1 = after, $2 = last key for every next.
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
export function verifySpec(v: VerifiedColumn, backfill: BackfillSpec): VerifySpec {
	const {table, key} = v;
	const target = qualified(table.schema, table.name);
	const walk = keyWalk(key);
	const newText = `${target}.${ident(v.column)}::text`;
	const upText = `CAST((\n${v.up}\n) AS ${v.type})::text`;
	// The lateral's names are zdm's own, so none can be mistaken for a column of the table (the range names them bare).
	const columns = [`${walk.text(target)} AS key`, `${newText} AS new_value`, `v.zdm_up AS up_value`];
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
		columns.push(`${oldText} AS old_value`, 'v.zdm_down AS down_value');
		mismatch = `${newText} IS DISTINCT FROM v.zdm_up AND ${oldText} IS DISTINCT FROM v.zdm_down`;
	} else {
		mismatch = `${newText} IS NULL AND v.zdm_up IS NOT NULL`;
	}

	const check = (after: boolean) =>
		[
			`SELECT ${columns.join(', ')}`,
			`FROM ${target} CROSS JOIN LATERAL (SELECT ${computed.join(', ')}) AS v`,
			`WHERE ${walk.range(after ? 1 : undefined, after ? 2 : 1)} AND ${mismatch}`,
			`ORDER BY ${walk.order(target)} LIMIT 3`,
		].join('\n');
	return {
		schema: table.schema,
		table: table.name,
		key,
		column: v.column,
		...(v.down ? {oldColumn: v.down.column} : {}),
		firstBound: backfill.firstBound,
		nextBound: backfill.nextBound,
		firstCheck: check(false),
		nextCheck: check(true),
	};
}

/** What a verify step shows as its forward SQL: exactly its four statements, in order. */
export const verifyForward = (spec: VerifySpec) => [spec.firstBound, spec.firstCheck, spec.nextBound, spec.nextCheck];
