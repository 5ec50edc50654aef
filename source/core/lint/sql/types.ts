import {showType, type TypeKey} from './nodes.js';

// Types whose only modifier is a precision or length that PostgreSQL can raise without touching a
// row (its length-coercion "support" functions tell ALTER TABLE that no rewrite is needed).
const widenable = new Set(['varchar', 'varbit', 'numeric', 'timestamp', 'timestamptz', 'time', 'timetz', 'interval']);

/** Casts PostgreSQL treats as binary-coercible for a column: same bytes, so no rewrite. */
const coercible: Record<string, string[]> = {
	varchar: ['text'],
	text: ['varchar'],
	cidr: ['inet'],
};

/**
 * Whether ALTER COLUMN … TYPE rewrites the table (and every index), holding ACCESS EXCLUSIVE the
 * whole time. Undefined when it does not. timestamp ↔ timestamptz is a rewrite in general: it is
 * skipped only when the session's TimeZone is UTC, which a migration cannot count on.
 */
export function typeChangeRewrite(from: TypeKey, to: TypeKey): string | undefined {
	const rewrite = `${showType(from)} → ${showType(to)} rewrites every row`;
	if (from.array !== to.array) return rewrite;
	// Arrays are coerced element by element; only an unchanged array type is free.
	if (from.array) return sameType(from, to) ? undefined : rewrite;
	if (sameType(from, to)) return undefined;
	if (from.name === to.name && widenable.has(from.name)) {
		if (to.mods.length === 0) return undefined;
		if (from.mods.length === 0) return `${showType(from)} → ${showType(to)} checks or rewrites every row (adding a limit)`;
		const [fromLength = 0, fromScale = 0] = from.mods;
		const [toLength = 0, toScale = 0] = to.mods;
		// numeric(p, s): only the precision may grow; a new scale changes the stored digits.
		if (toLength >= fromLength && toScale === fromScale) return undefined;
		return `${showType(from)} → ${showType(to)} ${toLength < fromLength ? 'shrinks the limit: every row is checked or rewritten' : 'changes the scale: every row is rewritten'}`;
	}

	// varchar(n) → text, text → varchar (no limit): the same bytes under another name.
	if (coercible[from.name]?.includes(to.name) && (to.name !== 'varchar' || to.mods.length === 0)) return undefined;
	return rewrite;
}

const sameType = (a: TypeKey, b: TypeKey) => a.name === b.name && a.array === b.array && a.mods.join() === b.mods.join();

const integerWidth: Record<string, number> = {int2: 2, int4: 4, int8: 8};
const textual = new Set(['text', 'varchar', 'bpchar']);

/**
 * Whether a type change can lose data or fail on existing values: a shorter limit, a smaller
 * integer, fewer digits, a float or date that drops precision, or text cast to anything else.
 * Undefined when every old value fits the new type.
 */
export function typeChangeNarrows(from: TypeKey, to: TypeKey): string | undefined {
	if (from.array !== to.array || sameType(from, to)) return undefined;
	const change = `${showType(from)} → ${showType(to)}`;
	const [fromLength, fromScale = 0] = from.mods;
	const [toLength, toScale = 0] = to.mods;
	if (textual.has(from.name) && textual.has(to.name)) {
		// No limit (text, varchar) to a limit, or a smaller limit: longer values fail (or char pads and cuts).
		if (toLength !== undefined && (fromLength === undefined || toLength < fromLength)) return `${change}: longer values fail`;
		return undefined;
	}

	if (textual.has(from.name)) return `${change}: any value that does not parse as ${to.name} fails the whole statement`;
	if (from.name in integerWidth && to.name in integerWidth) return integerWidth[to.name]! < integerWidth[from.name]! ? `${change}: values out of range fail` : undefined;
	if ((from.name === 'numeric' || from.name.startsWith('float')) && to.name in integerWidth) return `${change}: fractions are rounded away`;
	if (from.name === 'numeric' && to.name === 'numeric' && toLength !== undefined) {
		if (fromLength === undefined || toScale < fromScale) return `${change}: digits are rounded away or values overflow`;
		if (toLength - toScale < fromLength - fromScale) return `${change}: large values overflow`;
		return undefined;
	}

	if (from.name === 'float8' && to.name === 'float4') return `${change}: precision is lost`;
	if ((from.name === 'timestamp' || from.name === 'timestamptz') && to.name === 'date') return `${change}: the time of day is cut off`;
	if (widenable.has(from.name) && from.name === to.name && toLength !== undefined && (fromLength === undefined || toLength < fromLength)) return `${change}: precision is rounded away`;
	return undefined;
}
