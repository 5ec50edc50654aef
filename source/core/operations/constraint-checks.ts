import type {Check} from '../checks.js';
import {physicalName, type TableInfo} from '../catalog.js';
import {ident, qualified, shown} from '../sql.js';
import {enclosed} from './operation.js';

/**
 * What VALIDATE, or a unique index build, would find only at contract, found before the first
 * step over the rows as they are: each query returns no row when all is well, or one row with
 * how many rows offend and the first one's key.
 */

const rows = (count: number) => `${count} ${count === 1 ? 'row' : 'rows'}`;

function keyText(table: TableInfo, alias: string): string {
	const key = table.primaryKey.map(name => `${alias}.${ident(physicalName(table.columns.find(column => column.name === name) ?? {name, type: '', notNull: true, default: null}))}`);
	if (key.length === 0) return `${alias}.ctid::text`;
	return key.length === 1 ? `${key[0]}::text` : `ROW(${key.join(', ')})::text`;
}

/** Rows for which the CHECK is false (NULL passes a CHECK). */
export function checkViolations(at: string, table: TableInfo, name: string, expression: string): Check {
	return {
		what: at,
		sql: `SELECT count(*) OVER ()::bigint AS count, ${keyText(table, 't')} AS key, NULL AS value FROM ${qualified(table.schema, table.name)} t WHERE (${enclosed(expression)}) IS FALSE LIMIT 1`,
		problem: (count, key) => `${rows(count)} of ${table.name} break check ${shown(name)} (the first at key ${shown(key ?? '?')})`,
		failing: `checking ${table.name} against ${shown(name)} failed`,
		hint: 'give "up" expressions that make them fit, or fix those rows first',
	};
}

/** Values held by more than one row (rows with a NULL in the key never collide, unless NULLS NOT DISTINCT). */
export function duplicates(at: string, table: TableInfo, name: string, columns: string[], nullsCount = false): Check {
	const list = columns.map(column => ident(column)).join(', ');
	const notNull = nullsCount ? 'true' : columns.map(column => `${ident(column)} IS NOT NULL`).join(' AND ');
	return {
		what: at,
		sql: `SELECT count(*) OVER ()::bigint AS count, NULL AS key, left(ROW(${list})::text, 60) AS value FROM ${qualified(table.schema, table.name)} WHERE ${notNull} GROUP BY ${list} HAVING count(*) > 1 LIMIT 1`,
		problem: (count, _key, value) => `${count} ${count === 1 ? 'value is' : 'values are'} held by more than one row of ${table.name}, which ${shown(name)} forbids (the first: ${shown(value ?? '?')})`,
		failing: `looking for duplicates in ${table.name} failed`,
		hint: 'give "up" expressions that make them unique, or fix those rows first',
	};
}

/** NULLs where a primary key is coming. */
export function nulls(at: string, table: TableInfo, columns: string[]): Check {
	return {
		what: at,
		sql: `SELECT count(*) OVER ()::bigint AS count, ${keyText(table, 't')} AS key, NULL AS value FROM ${qualified(table.schema, table.name)} t WHERE ${columns.map(column => `t.${ident(column)} IS NULL`).join(' OR ')} LIMIT 1`,
		problem: (count, key) => `${rows(count)} of ${table.name} hold a NULL in ${columns.join(', ')}, which a primary key forbids (the first at key ${shown(key ?? '?')})`,
		failing: `counting NULLs in ${table.name} failed`,
		hint: 'fill them first, or give "up" expressions that do',
	};
}

/** Rows whose reference finds no row in the referenced table (MATCH SIMPLE: a NULL anywhere passes; FULL: only all NULL). */
export function orphans(at: string, table: TableInfo, name: string, columns: string[], referenced: {schema: string; table: string; columns: string[]}, full: boolean): Check {
	const set = columns.map(column => `t.${ident(column)} IS NOT NULL`);
	const matches = columns.map((column, index) => `r.${ident(referenced.columns[index]!)} = t.${ident(column)}`).join(' AND ');
	const partlyNull = full && columns.length > 1 ? ` OR (${columns.map(column => `t.${ident(column)} IS NULL`).join(' OR ')}) AND NOT (${columns.map(column => `t.${ident(column)} IS NULL`).join(' AND ')})` : '';
	return {
		what: at,
		sql: `SELECT count(*) OVER ()::bigint AS count, ${keyText(table, 't')} AS key, NULL AS value FROM ${qualified(table.schema, table.name)} t WHERE (${set.join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${qualified(referenced.schema, referenced.table)} r WHERE ${matches}))${partlyNull} LIMIT 1`,
		problem: (count, key) => `${rows(count)} of ${table.name} reference no row of ${referenced.table}, which ${shown(name)} forbids (the first at key ${shown(key ?? '?')})`,
		failing: `looking for rows of ${table.name} without a match in ${referenced.table} failed`,
		hint: 'give "up" expressions that fix the references (NULL, say), or fix those rows first',
	};
}
