import type {Node} from 'libpg-query';
import {findAll, names} from '../lint/sql/nodes.js';
import {parseSql, scanIdentifierAt} from '../lint/sql/parser.js';
import {ident} from '../sql.js';

/**
 * An expression over the columns under other names: each bare column reference PostgreSQL's
 * parser finds (not a function, not a string, not a qualified name) is replaced by its new name.
 * How a CHECK written against the final columns is put on the shadow columns standing in for them.
 */
export function renameColumnsIn(expression: string, renames: Record<string, string>): string {
	if (Object.keys(renames).length === 0) return expression;
	const prefix = 'SELECT (';
	const sql = `${prefix}${expression}\n)`;
	const [statement] = parseSql(sql);
	const references = findAll<{fields?: Node[]; location?: number}>(statement?.node, 'ColumnRef').filter(ref => names(ref.fields).length === 1 && (ref.fields?.length ?? 0) === 1 && Object.hasOwn(renames, names(ref.fields)[0]!));
	const bytes = Buffer.from(sql, 'utf8');
	const edits = references
		.map(ref => ({at: ref.location!, length: scanIdentifierAt(sql, ref.location!), to: ident(renames[names(ref.fields)[0]!]!)}))
		.sort((a, b) => b.at - a.at);
	let result = bytes;
	for (const edit of edits) result = Buffer.concat([result.subarray(0, edit.at), Buffer.from(edit.to, 'utf8'), result.subarray(edit.at + edit.length)]);
	const text = result.toString('utf8');
	return text.slice(prefix.length, text.length - 2);
}
