import type {Node} from 'libpg-query';
import {parseSql} from '../core/lint/sql/parser.js';

/*
 * What a simple CHECK asks of one column, so generated values meet it rather than being thrown
 * away: `price > 0`, `rating BETWEEN 1 AND 5`, `status IN ('new', 'paid')`. Anything else is left
 * to the rows being tested against the CHECK itself (see generate-rows.ts).
 */

export interface ColumnHint {
	/** Inclusive bounds for numbers. */
	min?: number;
	max?: number;
	/** The only values allowed, as SQL literals. */
	values?: string[];
}

type Fields = Record<string, unknown>;
const unwrap = (node: unknown): [string, Fields] | undefined => {
	if (!node || typeof node !== 'object') return undefined;
	const [entry] = Object.entries(node as Record<string, Fields>);
	return entry;
};

const columnOf = (node: unknown): string | undefined => {
	const [kind, body] = unwrap(node) ?? [];
	if (kind !== 'ColumnRef') return undefined;
	const fields = (body!.fields as Array<{String?: {sval?: string}}>) ?? [];
	return fields.length === 1 ? fields[0]!.String?.sval : undefined;
};

/** A constant, possibly cast (`(0)::numeric`, `'new'::text`): its number, or its SQL literal. */
function constantOf(node: unknown): {number?: number; literal?: string} | undefined {
	const [kind, body] = unwrap(node) ?? [];
	if (kind === 'TypeCast') return constantOf(body!.arg);
	if (kind !== 'A_Const') return undefined;
	if ('ival' in body!) return {number: Number((body.ival as {ival?: number}).ival ?? 0)};
	if ('fval' in body!) return {number: Number((body.fval as {fval: string}).fval)};
	if ('sval' in body!) {
		const text = (body.sval as {sval?: string}).sval ?? '';
		return {literal: `'${text.replaceAll("'", "''")}'`};
	}

	return undefined;
}

const flipped: Record<string, string> = {'<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '='};

function narrow(hints: Map<string, ColumnHint>, column: string, change: ColumnHint) {
	const hint = hints.get(column) ?? {};
	if (change.min !== undefined) hint.min = Math.max(hint.min ?? -Infinity, change.min);
	if (change.max !== undefined) hint.max = Math.min(hint.max ?? Infinity, change.max);
	if (change.values) hint.values = change.values;
	hints.set(column, hint);
}

function comparison(hints: Map<string, ColumnHint>, operator: string, column: string, value: number) {
	// Strict bounds step by one: generated numbers are whole.
	if (operator === '>') narrow(hints, column, {min: Math.floor(value) + 1});
	if (operator === '>=') narrow(hints, column, {min: Math.ceil(value)});
	if (operator === '<') narrow(hints, column, {max: Math.ceil(value) - 1});
	if (operator === '<=') narrow(hints, column, {max: Math.floor(value)});
	if (operator === '=') narrow(hints, column, {min: value, max: value});
}

function walk(node: unknown, hints: Map<string, ColumnHint>) {
	const [kind, body] = unwrap(node) ?? [];
	if (kind === 'BoolExpr' && body!.boolop === 'AND_EXPR') {
		for (const arg of body!.args as unknown[]) walk(arg, hints);
		return;
	}

	if (kind !== 'A_Expr') return;
	const operator = ((body!.name as Array<{String?: {sval?: string}}>) ?? [])[0]?.String?.sval ?? '';
	const left = columnOf(body!.lexpr);
	if (body!.kind === 'AEXPR_OP') {
		const right = columnOf(body!.rexpr);
		const [column, constant, op] = left ? [left, constantOf(body!.rexpr), operator] : [right, constantOf(body!.lexpr), flipped[operator]];
		if (column && op && constant?.number !== undefined && Number.isFinite(constant.number)) comparison(hints, op, column, constant.number);
		else if (column && op === '=' && constant?.literal) narrow(hints, column, {values: [constant.literal]});
		return;
	}

	if (!left) return;
	if (body!.kind === 'AEXPR_BETWEEN') {
		const [low, high] = ((body!.rexpr as {List?: {items?: unknown[]}}).List?.items ?? []).map(item => constantOf(item)?.number);
		if (low !== undefined && high !== undefined) narrow(hints, left, {min: Math.ceil(low), max: Math.floor(high)});
		return;
	}

	const list = body!.kind === 'AEXPR_IN' ? (body!.rexpr as {List?: {items?: unknown[]}}).List?.items : body!.kind === 'AEXPR_OP_ANY' && operator === '=' ? (body!.rexpr as {A_ArrayExpr?: {elements?: unknown[]}}).A_ArrayExpr?.elements : undefined;
	const constants = (list ?? []).map(item => constantOf(item));
	if (constants.length > 0 && constants.every(constant => constant?.literal !== undefined || constant?.number !== undefined)) {
		narrow(hints, left, {values: constants.map(constant => constant!.literal ?? String(constant!.number))});
	}
}

/** Hints per column from CHECK definitions as pg_get_constraintdef prints them ("CHECK ((price > (0)::numeric))"). */
export function checkHints(definitions: string[]): Map<string, ColumnHint> {
	const hints = new Map<string, ColumnHint>();
	for (const definition of definitions) {
		const expression = /^CHECK\s+([\s\S]*?)(?:\s+NO INHERIT)?(?:\s+NOT VALID)?$/.exec(definition.trim())?.[1];
		if (!expression) continue;
		try {
			const [statement] = parseSql(`SELECT ${expression}`);
			const target = ((statement?.node as {SelectStmt?: {targetList?: Array<{ResTarget?: {val?: Node}}>}}).SelectStmt?.targetList ?? [])[0];
			walk(target?.ResTarget?.val, hints);
		} catch {
			// Not simple: the rows are tested against it instead.
		}
	}

	return hints;
}
