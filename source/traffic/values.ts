import {randomUUID} from 'node:crypto';
import type {ColumnUse} from './shape.js';

export type VersionName = 'v1' | 'v2';

/** A small seeded generator (mulberry32): the same seed makes the same mix of requests. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d_2b_79_f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

const textType = /^(text|character varying|varchar|character|char|citext|name|bpchar)\b/;
const lengthOf = (type: string) => {
	const match = /\((\d+)\)/.exec(type);
	return match ? Number(match[1]) : undefined;
};

/**
 * A value a version would plausibly write into a column, as a query parameter; undefined for a
 * type it cannot make up (the version then leaves that column alone). Text is lower case, so an
 * `up` such as lower(email) maps it to itself and the sync can be checked row by row; the run's
 * tag keeps it unique across runs, so a UNIQUE column never turns a second run into errors.
 */
export function valueFor(column: ColumnUse, version: VersionName, sequence: number, tag = ''): unknown {
	const type = column.type.toLowerCase();
	if (textType.test(type)) {
		const id = `${tag}${sequence}`;
		const text = /mail/i.test(column.name) ? `${version}.${id}@example.com` : `${version}-${column.name.toLowerCase()}-${id}`;
		const max = lengthOf(type);
		return max === undefined ? text : text.slice(0, max);
	}

	if (/^(smallint|integer|bigint|int\d?)\b/.test(type)) return sequence % 30_000;
	if (/^(numeric|decimal|real|double precision|float\d?)\b/.test(type)) return sequence % 1000;
	if (type === 'boolean') return sequence % 2 === 0;
	if (type === 'date') return '2026-01-01';
	if (type.startsWith('timestamp')) return new Date().toISOString();
	if (type === 'uuid') return randomUUID();
	if (type === 'json' || type === 'jsonb') return JSON.stringify({version, sequence});
	return undefined;
}

/** A short lower-case tag, different for every traffic run. */
export const runTag = () => `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36)}-`;

/** Whether a version can write the column at all. */
export const writable = (column: ColumnUse) => valueFor(column, 'v1', 0) !== undefined;
