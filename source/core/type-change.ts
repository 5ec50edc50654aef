/**
 * Which type changes keep every value exactly, judged from the type names alone (the compiler
 * reads no database). Anything not known safe is checked over the existing rows before the
 * first step (checks.ts): a conversion is never allowed to cut or round a value quietly.
 */
export interface TypeName {
	name: string;
	mods: number[];
	array: boolean;
}

const aliases: Record<string, string> = {
	'character varying': 'varchar',
	character: 'bpchar',
	char: 'bpchar',
	integer: 'int4',
	int: 'int4',
	smallint: 'int2',
	bigint: 'int8',
	'double precision': 'float8',
	real: 'float4',
	decimal: 'numeric',
	'timestamp without time zone': 'timestamp',
	'timestamp with time zone': 'timestamptz',
	'time without time zone': 'time',
	'time with time zone': 'timetz',
	boolean: 'bool',
};

/** A type as format_type() or a plan file spells it → its canonical name, modifiers, array or not. */
export function parseTypeName(spelled: string): TypeName {
	let text = spelled.trim().toLowerCase().replace(/\s+/g, ' ').replace(/^pg_catalog\./, '');
	const array = text.endsWith('[]');
	if (array) text = text.replace(/(\[\])+$/, '').trim();
	const mods = /\(([\d\s,]+)\)/.exec(text);
	if (mods) text = text.replace(mods[0], '').replace(/\s+/g, ' ').trim();
	const name = aliases[text] ?? text;
	// char without a length is char(1).
	const parsed = mods ? mods[1]!.split(',').map(Number) : name === 'bpchar' ? [1] : [];
	return {name, mods: parsed, array};
}

const integerDigits: Record<string, number> = {int2: 5, int4: 10, int8: 19};
const integerWidth: Record<string, number> = {int2: 2, int4: 4, int8: 8};

/** True when every value of `from` converts to `to` and back unchanged (a small, sure list). */
export function isSafeWidening(fromSpelled: string, toSpelled: string): boolean {
	const from = parseTypeName(fromSpelled);
	const to = parseTypeName(toSpelled);
	if (from.array !== to.array) return false;
	const same = from.name === to.name && from.mods.join() === to.mods.join();
	if (same) return true;
	if (from.array) return false;
	const [fromLength, fromScale = 0] = from.mods;
	const [toLength, toScale = 0] = to.mods;
	if (from.name in integerWidth) {
		if (to.name in integerWidth) return integerWidth[to.name]! >= integerWidth[from.name]!;
		if (to.name === 'numeric') return toLength === undefined || toLength - toScale >= integerDigits[from.name]!;
		// float8 holds every integer up to 2^53 exactly.
		return to.name === 'float8' && from.name !== 'int8';
	}

	if (from.name === 'float4') return to.name === 'float8';
	if (from.name === 'varchar') return to.name === 'text' || (to.name === 'varchar' && (toLength === undefined || (fromLength !== undefined && toLength >= fromLength)));
	if (from.name === 'text') return to.name === 'varchar' && toLength === undefined;
	if (from.name === 'numeric' && to.name === 'numeric') return toLength === undefined || (fromLength !== undefined && toLength >= fromLength && toScale === fromScale);
	// Fractional seconds: a larger precision, or none, keeps them.
	const precisionKept = toLength === undefined || (fromLength !== undefined && toLength >= fromLength);
	if (from.name === 'timestamp') return (to.name === 'timestamp' || to.name === 'timestamptz') && precisionKept;
	if (from.name === 'timestamptz') return to.name === 'timestamptz' && precisionKept;
	if (from.name === 'date') return to.name === 'timestamp' || to.name === 'timestamptz';
	return false;
}
