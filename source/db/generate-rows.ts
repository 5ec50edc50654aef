import {ident, literal, qualified} from '../core/sql.js';
import {checkHints, type ColumnHint} from './check-hints.js';
import type {Database, Queryable} from './database.js';
import {tableKey, type TableKey} from './rehearsal-source.js';
import type {ColumnInfo, TableInfo} from './row-catalog.js';
import type {ForeignKey} from './schema-copy.js';

/*
 * Rows made up from the schema alone, so that no production row leaves the server. Each table's
 * rows come from one INSERT … SELECT over generate_series, in the copy itself:
 * - values follow the column's type, its length or precision, and simple CHECKs (check-hints.ts);
 * - a foreign key's columns are picked from the rows its parent table already has (parents first);
 * - unique keys exist already, so a row that would repeat one is left out (ON CONFLICT DO NOTHING);
 * - every other CHECK is tested on the rows: those that break it are deleted, so each CHECK holds.
 * Values are a function of the row number: the same schema gives the same rows.
 */

export interface TableRows extends TableKey {
	/** Rows asked for. */
	wanted: number;
	/** Rows it has now. */
	rows: number;
	/** Why it has fewer than asked for, or none. */
	note?: string;
}

/** A pseudo-random, non-negative int4 per row and column, stable from run to run. */
const scrambled = (salt: number) => `(hashint4(g + ${salt}) & 2147483647)`;

const textTypes = new Set(['text', 'varchar', 'bpchar', 'name', 'citext']);

/** SQL for one value of a base type in row g, or undefined for a type we cannot make up. */
function valueOf(column: Pick<ColumnInfo, 'name' | 'base' | 'baseType' | 'baseKind' | 'category' | 'typmod' | 'unique'>, hint: ColumnHint | undefined, salt: number): string | undefined {
	const h = scrambled(salt);
	if (hint?.values && hint.values.length > 0) return `(ARRAY[${hint.values.join(', ')}])[1 + ${h} % ${hint.values.length}]`;
	const between = (low: number, high: number) => {
		const min = hint?.min ?? (hint?.max === undefined ? low : Math.min(low, hint.max - (high - low)));
		const max = hint?.max ?? Math.max(high, min);
		return min <= max ? `(${min} + ${h}::bigint % ${max - min + 1})` : `${min}`;
	};

	const fraction = hint?.min === undefined && hint?.max === undefined ? ` + (${h} % 100) / 100.0` : '';
	const unique = column.unique && !hint;
	switch (column.base) {
		case 'int2': {
			return unique ? '(g % 32767)' : between(0, 999);
		}

		case 'int4':
		case 'int8':
		case 'oid': {
			return unique ? 'g' : between(0, 999_999);
		}

		case 'numeric': {
			// numeric(p,s) holds p - s digits before the point.
			const digits = column.typmod >= 4 ? (((column.typmod - 4) >> 16) & 0xFFFF) - ((column.typmod - 4) & 0xFFFF) : 9;
			const limit = digits > 0 ? Math.min(10 ** Math.min(digits, 9) - 1, 99_999) : 0;
			return unique && digits >= 8 ? 'g' : `(${between(0, limit)}${digits > 0 ? fraction : ''})`;
		}

		case 'float4':
		case 'float8': {
			return `(${between(0, 99_999)}${fraction})`;
		}

		case 'money': {
			return `${between(0, 99_999)}::numeric`;
		}

		case 'bool': {
			return `(${h} % 2 = 0)`;
		}

		case 'uuid': {
			return `md5(${literal(`${salt}:`)} || g)::uuid`;
		}

		case 'date': {
			return `(DATE '2020-01-01' + (${h} % 2000))`;
		}

		case 'timestamp':
		case 'timestamptz': {
			return `(TIMESTAMP '2020-01-01' + (${h} % 63072000) * INTERVAL '1 second')`;
		}

		case 'time':
		case 'timetz': {
			return `(TIME '00:00' + (${h} % 86400) * INTERVAL '1 second')`;
		}

		case 'interval': {
			return `((${h} % 86400) * INTERVAL '1 second')`;
		}

		case 'json':
		case 'jsonb': {
			return `json_build_object('n', g)`;
		}

		case 'bytea': {
			return `decode(md5(g::text), 'hex')`;
		}

		case 'inet':
		case 'cidr': {
			return `('10.' || (g / 65536) % 256 || '.' || (g / 256) % 256 || '.' || g % 256)`;
		}

		case 'tsvector': {
			return `to_tsvector('simple', 'word' || ${h} % 1000)`;
		}

		default: {
			if (column.baseKind === 'e') return `(enum_range(NULL::${column.baseType}))[1 + ${h} % array_length(enum_range(NULL::${column.baseType}), 1)]`;
			if (textTypes.has(column.base) || column.category === 'S') return textOf(column, h);
			return undefined;
		}
	}
}

function textOf(column: Pick<ColumnInfo, 'name' | 'base' | 'typmod' | 'unique'>, h: string): string {
	// varchar(n) and char(n) keep n characters: a cast would cut a longer value, and unique ones would collide.
	const length = (column.base === 'varchar' || column.base === 'bpchar') && column.typmod >= 4 ? column.typmod - 4 : undefined;
	const number = column.unique ? 'g' : `(${h} % 100000)`;
	if (/e-?mail/i.test(column.name) && (length === undefined || length >= 30)) return `'user' || ${number} || '@example.com'`;
	const prefix = `${column.name.slice(0, 20)}-`;
	if (length === undefined || length >= prefix.length + 8) return `${literal(prefix)} || ${number}`;
	return `left(md5(${number}::text), ${length})`;
}

function columnValue(column: ColumnInfo, hint: ColumnHint | undefined, salt: number): string | undefined {
	if (column.category === 'A') {
		const element = column.element && valueOf({...column, ...column.element, typmod: -1, unique: false}, undefined, salt);
		return element ? `ARRAY[${element}]` : `'{}'`;
	}

	return valueOf(column, hint, salt);
}

/** Parents before children; tables on a cycle of foreign keys after the rest, in name order. */
export function parentsFirst(tables: TableInfo[], foreignKeys: ForeignKey[]): TableInfo[] {
	const ordered: TableInfo[] = [];
	const done = new Set<string>();
	let remaining = tables;
	while (remaining.length > 0) {
		const ready = remaining.filter(table => foreignKeys.every(fk => tableKey(fk.child) !== tableKey(table) || tableKey(fk.parent) === tableKey(table) || done.has(tableKey(fk.parent)) || !tables.some(other => tableKey(other) === tableKey(fk.parent))));
		const next = ready.length > 0 ? ready : remaining.slice(0, 1);
		for (const table of next) done.add(tableKey(table));
		ordered.push(...next);
		remaining = remaining.filter(table => !done.has(tableKey(table)));
	}

	return ordered;
}

interface Plan {
	sql: string;
	/** Temporary tables of parent keys, made first (dropped at commit). */
	keys: Array<{name: string; sql: string; required: boolean; parent: TableKey}>;
	/** Why no row can be made. */
	impossible?: string;
}

/** The INSERT that fills one table, with the key tables it picks its foreign keys from. */
function insertPlan(table: TableInfo, foreignKeys: ForeignKey[], filled: Set<string>): Plan {
	const hints = checkHints(table.checks.map(check => check.definition));
	const picked = new Map<string, string>();
	const keys: Plan['keys'] = [];
	const joins: string[] = [];
	for (const fk of foreignKeys.filter(fk => tableKey(fk.child) === tableKey(table))) {
		// A parent not filled yet (itself, or one on a cycle): its columns get ordinary values and the key may end NOT VALID.
		if (tableKey(fk.parent) === tableKey(table) || !filled.has(tableKey(fk.parent)) || fk.columns.some(column => picked.has(column))) continue;
		const index = keys.length;
		const name = `zdm_rehearse_keys_${index}`;
		const required = fk.columns.some(column => table.columns.find(info => info.name === column)?.notNull);
		keys.push({
			name,
			required,
			parent: fk.parent,
			sql: `CREATE TEMP TABLE ${name} ON COMMIT DROP AS SELECT row_number() OVER () AS n, ${fk.parentColumns.map((column, at) => `${ident(column)} AS k${at}`).join(', ')} FROM ${qualified(fk.parent.schema, fk.parent.table)} WHERE ${fk.parentColumns.map(column => `${ident(column)} IS NOT NULL`).join(' AND ')}`,
		});
		joins.push(`${required ? 'JOIN' : 'LEFT JOIN'} pg_temp.${name} AS p${index} ON p${index}.n = 1 + ${scrambled(7919 * (index + 1))} % (SELECT greatest(count(*), 1) FROM pg_temp.${name})`);
		fk.columns.forEach((column, at) => picked.set(column, `p${index}.k${at}`));
	}

	const names: string[] = [];
	const values: string[] = [];
	for (const [index, column] of table.columns.entries()) {
		if (column.automatic) continue;
		const value = picked.get(column.name) ?? (foreignKeys.some(fk => tableKey(fk.child) === tableKey(table) && fk.columns.includes(column.name)) && !column.notNull ? undefined : columnValue(column, hints.get(column.name), 1_000_003 * (index + 1)));
		if (value === undefined) {
			if (column.notNull && !column.hasDefault) return {sql: '', keys, impossible: `cannot make up values of type ${column.type} for NOT NULL column ${ident(column.name)}`};
			continue;
		}

		names.push(ident(column.name));
		values.push(`(${value})::${column.type}`);
	}

	// No column to fill (all automatic): a row of defaults per number.
	const columns = names.length === 0 ? '' : ` (${names.join(', ')})`;
	const rows = `SELECT ${values.map((value, index) => `${value} AS ${names[index]}`).join(', ')} FROM generate_series(1, $1::int) AS g ${joins.join(' ')}`;
	// A partitioned table takes only rows that fit one of its partitions: the rest are left out.
	const fitting = table.partitions ? `SELECT * FROM (${rows}) AS generated WHERE ${table.partitions.length > 0 ? table.partitions.map(condition => `(${condition})`).join(' OR ') : 'false'}` : rows;
	return {sql: `INSERT INTO ${qualified(table.schema, table.table)}${columns} ${fitting} ON CONFLICT DO NOTHING`, keys};
}

const checkExpression = (definition: string) => definition.replace(/^CHECK\s+/, '').replace(/\s+NO INHERIT$/, '');

/** Fill one table inside a transaction: it either gets its rows and all its CHECKs, or stays as it was. */
async function fill(tx: Queryable, table: TableInfo, plan: Plan, wanted: number): Promise<TableRows> {
	const target = qualified(table.schema, table.table);
	for (const key of plan.keys) {
		await tx.query(key.sql);
		const {rows} = await tx.query<{count: number}>(`SELECT count(*)::int AS count FROM pg_temp.${key.name}`);
		if (rows[0]!.count === 0 && key.required) return {...table, wanted, rows: 0, note: `its parent ${key.parent.schema}.${key.parent.table} has no rows to refer to`};
	}

	// CHECKs come off while the rows go in, and back on once the rows that break them are gone.
	for (const check of table.checks) await tx.query(`ALTER TABLE ${target} DROP CONSTRAINT ${ident(check.name)}`);
	const inserted = (await tx.query(plan.sql, [wanted])).rowCount;
	let broke = 0;
	for (const check of table.checks) {
		broke += (await tx.query(`DELETE FROM ${target} WHERE NOT (${checkExpression(check.definition)})`)).rowCount;
		await tx.query(`ALTER TABLE ${target} ADD CONSTRAINT ${ident(check.name)} ${check.definition}`);
	}

	const rows = inserted - broke;
	const reasons = [wanted > inserted ? `${wanted - inserted} would repeat a unique key${table.partitions ? ' or fit no partition' : ''}` : '', broke > 0 ? `${broke} broke a CHECK` : ''].filter(Boolean);
	return {...table, wanted, rows, ...(reasons.length > 0 ? {note: `${reasons.join(', ')} and were left out`} : {})};
}

/** Generate rows for every table, parents first; `wanted` says how many for each. */
export async function generateRows(db: Database, tables: TableInfo[], foreignKeys: ForeignKey[], wanted: (table: TableKey) => number): Promise<TableRows[]> {
	const filled = new Set<string>();
	const results: TableRows[] = [];
	for (const table of parentsFirst(tables, foreignKeys)) {
		const count = wanted(table);
		const plan = insertPlan(table, foreignKeys, filled);
		let result: TableRows;
		if (count === 0) result = {schema: table.schema, table: table.table, wanted: 0, rows: 0};
		else if (plan.impossible) result = {schema: table.schema, table: table.table, wanted: count, rows: 0, note: plan.impossible};
		else {
			try {
				result = await db.transaction(async tx => fill(tx, table, plan, count));
			} catch (error) {
				result = {schema: table.schema, table: table.table, wanted: count, rows: 0, note: `generating failed: ${(error as Error).message.split('\n')[0]}`};
			}
		}

		filled.add(tableKey(table));
		results.push({schema: result.schema, table: result.table, wanted: result.wanted, rows: result.rows, ...(result.note ? {note: result.note} : {})});
	}

	return results;
}
