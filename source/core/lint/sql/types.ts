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
