import {createHash} from 'node:crypto';
import {badInput} from './errors.js';

/**
 * Quote an identifier exactly as node-postgres' escapeIdentifier does. The core may not import a
 * driver, so it carries the same two-line rule; a test holds the two to the same output.
 */
export function ident(name: string): string {
	return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A name from the plan file as an error message shows it: quoted, with control characters
 * escaped (a newline in a name must not break the one-line message), cut short if long.
 */
export function shown(name: string, max = 40): string {
	const chars = Array.from(name);
	return JSON.stringify(chars.length > max ? `${chars.slice(0, max).join('')}…` : name).replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}

/** Text from outside (a parser's message quoting the file) with control characters escaped: one line. */
export const printable = (text: string) => text.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A schema-qualified, quoted table name. */
export const qualified = (schema: string, table: string) => `${ident(schema)}.${ident(table)}`;

/** Quote a string literal (for SQL shown and run in DDL, where parameters are not allowed). */
export function literal(value: string): string {
	return `'${value.replaceAll("'", "''")}'`;
}

const maxIdentifierBytes = 63;

/**
 * PostgreSQL silently truncates longer names, so two distinct names could become one:
 * refuse them instead of guessing.
 */
export function checkIdentifier(name: string, what: string): string {
	if (name.length === 0) throw badInput(`${what} is empty`, 'give it a name');
	if (name.includes('\0')) throw badInput(`${what} contains a NUL byte`, 'remove it from the name');
	const bytes = Buffer.byteLength(name, 'utf8');
	if (bytes > maxIdentifierBytes) {
		throw badInput(
			`${what} ${shown(name, 20)} is ${bytes} bytes; PostgreSQL names hold at most 63`,
			'choose a shorter name',
		);
	}

	return name;
}

/** A short, stable tag for the names zdm creates (triggers, functions, temporary columns). */
export function shortHash(...parts: string[]): string {
	return createHash('sha1').update(parts.join('\u0000')).digest('hex').slice(0, 8);
}

/**
 * A name zdm owns, derived from a user's name but always within 63 bytes: the readable part is
 * cut to fit and the hash keeps it unique.
 */
export function ownedName(prefix: string, base: string, ...salt: string[]): string {
	const hash = shortHash(base, ...salt);
	const room = maxIdentifierBytes - prefix.length - hash.length - 2;
	// Cut by whole characters: half a surrogate pair would not survive the trip to the server.
	const chars = Array.from(base);
	while (Buffer.byteLength(chars.join(''), 'utf8') > room) chars.pop();
	return `${prefix}_${chars.join('')}_${hash}`;
}
