import type {ColumnRef, Constraint, CreateStatsStmt, IndexElem, IndexStmt, Node, StatsElem} from 'libpg-query';
import {body, findAll, names} from '../lint/sql/nodes.js';
import {parseSql, scanTokens, type SqlToken} from '../lint/sql/parser.js';
import {ident, qualified} from '../sql.js';

/**
 * A dependent object (index, constraint, statistics) rebuilt over a shadow column, from the
 * definition PostgreSQL itself prints for it (pg_get_indexdef, pg_get_constraintdef,
 * pg_get_statisticsobjdef). WHY the parse tree rather than a search for the name? The column's
 * name may also be an operator class, a collation, a function, a field of a composite, the index's
 * own name or a word inside a literal; only the parser knows which occurrences are the column.
 * The tree says which elements and expressions refer to it; the lexer says where their tokens are.
 */

interface Edit {
	start: number;
	end: number;
	text: string;
}

/** Splice byte-range edits into the text (the parser's offsets are UTF-8 bytes). */
function applyEdits(sql: string, edits: Edit[]): string {
	const bytes = Buffer.from(sql, 'utf8');
	let out = '';
	let at = 0;
	for (const edit of edits.toSorted((a, b) => a.start - b.start)) {
		if (edit.start < at) throw new Error(`overlapping edits in ${sql}`);
		out += bytes.subarray(at, edit.start).toString('utf8') + edit.text;
		at = edit.end;
	}

	return out + bytes.subarray(at).toString('utf8');
}

const isWord = (token: SqlToken | undefined, word: string) => token?.keyword === true && token.text.toUpperCase() === word;

/** The index of the first token at parenthesis depth 0 (from `from` on) that is the keyword `word`. */
function topLevel(tokens: SqlToken[], word: string, from = 0): number {
	let depth = 0;
	for (let i = from; i < tokens.length; i++) {
		const text = tokens[i]!.text;
		if (text === '(') depth++;
		else if (text === ')') depth--;
		else if (depth === 0 && isWord(tokens[i], word)) return i;
	}

	return -1;
}

/** The comma-separated items of the parenthesised list that opens at token `open`: each item's first token, and where the list closes. */
function listItems(tokens: SqlToken[], open: number): {firsts: number[]; close: number} {
	if (tokens[open]?.text !== '(') throw new Error('expected a parenthesised list');
	const firsts = [open + 1];
	let depth = 0;
	for (let i = open + 1; i < tokens.length; i++) {
		const text = tokens[i]!.text;
		if (text === '(') depth++;
		else if (text === ')') {
			if (depth === 0) return {firsts, close: i};
			depth--;
		} else if (text === ',' && depth === 0) firsts.push(i + 1);
	}

	throw new Error('unclosed parenthesised list');
}

/** The items of a list between two tokens at depth 0 (e.g. a statistics object's ON … FROM). */
function bareItems(tokens: SqlToken[], from: number, to: number): number[] {
	const firsts = [from];
	let depth = 0;
	for (let i = from; i < to; i++) {
		const text = tokens[i]!.text;
		if (text === '(') depth++;
		else if (text === ')') depth--;
		else if (text === ',' && depth === 0) firsts.push(i + 1);
	}

	return firsts;
}

/** A token at an exact byte offset (a ColumnRef's location). */
function tokenAt(tokens: SqlToken[], location: number): SqlToken {
	const token = tokens.find(t => t.start === location);
	if (!token) throw new Error(`no token at ${location}`);
	return token;
}

const refersTo = (ref: ColumnRef, column: string) => ref.fields?.length === 1 && names(ref.fields)[0] === column;

/** Replace every expression's reference to `column` under `node`; `offset` maps the tree's locations to the text's. */
function expressionEdits(node: unknown, tokens: SqlToken[], column: string, to: string, offset = 0): Edit[] {
	return findAll<ColumnRef>(node, 'ColumnRef')
		.filter(ref => refersTo(ref, column))
		.map(ref => {
			const token = tokenAt(tokens, (ref.location ?? -1) - offset);
			return {start: token.start, end: token.end, text: ident(to)};
		});
}

/** Replace the plain-column items of a list whose elements name `column`. */
function elementEdits(tokens: SqlToken[], firsts: number[], elements: Array<{name?: string}>, column: string, to: string): Edit[] {
	if (firsts.length !== elements.length) throw new Error('the list and the parse tree disagree');
	return elements.flatMap((element, k) => {
		if (element.name !== column) return [];
		const token = tokens[firsts[k]!]!;
		return [{start: token.start, end: token.end, text: ident(to)}];
	});
}

function onlyStatement(sql: string): Node {
	const statements = parseSql(sql);
	if (statements.length !== 1) throw new Error(`expected one statement: ${sql}`);
	return statements[0]!.node;
}

/** What still refers to `column` in a statement: nothing may, once retargeted. */
function stillRefers(node: Node, column: string): boolean {
	const elements = [...findAll<IndexElem>(node, 'IndexElem'), ...findAll<StatsElem>(node, 'StatsElem')];
	return elements.some(element => element.name === column) || findAll<ColumnRef>(node, 'ColumnRef').some(ref => refersTo(ref, column));
}

/**
 * `CREATE [UNIQUE] INDEX name ON table USING method (…) [INCLUDE (…)] [WITH (…)] [WHERE …]` as
 * pg_get_indexdef prints it → the same index, built CONCURRENTLY under `name`, over `to` where it
 * had `column` (in key columns, expressions, INCLUDE and the predicate), in `tablespace` if given.
 */
export function retargetIndex(definition: string, column: string, to: string, name: string, tablespace?: string): string {
	const index = body<IndexStmt>(onlyStatement(definition), 'IndexStmt');
	if (!index) throw new Error(`not an index definition: ${definition}`);
	const tokens = scanTokens(definition);
	const at = tokens.findIndex(token => isWord(token, 'INDEX'));
	const nameToken = tokens[at + 1]!;
	const edits: Edit[] = [{start: nameToken.start, end: nameToken.end, text: `CONCURRENTLY ${ident(name)}`}];
	const using = topLevel(tokens, 'USING', at);
	const keys = listItems(tokens, using + 2);
	edits.push(...elementEdits(tokens, keys.firsts, (index.indexParams ?? []).map(node => body<IndexElem>(node, 'IndexElem')!), column, to));
	const include = topLevel(tokens, 'INCLUDE', keys.close + 1);
	if (include >= 0) {
		edits.push(...elementEdits(tokens, listItems(tokens, include + 1).firsts, (index.indexIncludingParams ?? []).map(node => body<IndexElem>(node, 'IndexElem')!), column, to));
	}

	edits.push(...expressionEdits(index.indexParams, tokens, column, to), ...expressionEdits(index.whereClause, tokens, column, to));
	if (tablespace !== undefined) {
		const where = topLevel(tokens, 'WHERE', keys.close + 1);
		const position = where >= 0 ? tokens[where]!.start : Buffer.byteLength(definition);
		edits.push({start: position, end: position, text: where >= 0 ? `TABLESPACE ${ident(tablespace)} ` : ` TABLESPACE ${ident(tablespace)}`});
	}

	return checked(applyEdits(definition, edits), column, 'IndexStmt');
}

/**
 * `CREATE STATISTICS schema.name [(kinds)] ON a, (expr) FROM table` as pg_get_statisticsobjdef
 * prints it → the same statistics object under `schema.name`, over `to` where it had `column`.
 */
export function retargetStatistics(definition: string, column: string, to: string, schema: string, name: string): string {
	const statistics = body<CreateStatsStmt>(onlyStatement(definition), 'CreateStatsStmt');
	if (!statistics) throw new Error(`not a statistics definition: ${definition}`);
	const tokens = scanTokens(definition);
	const first = tokens.findIndex(token => isWord(token, 'STATISTICS')) + 1;
	const on = topLevel(tokens, 'ON', first);
	const from = topLevel(tokens, 'FROM', on);
	// The name runs up to the kinds' parenthesis, or to ON.
	let last = on - 1;
	if (tokens[last]?.text === ')') last = tokens.findIndex((token, i) => i >= first && token.text === '(') - 1;
	const edits: Edit[] = [{start: tokens[first]!.start, end: tokens[last]!.end, text: qualified(schema, name)}];
	const elements = (statistics.exprs ?? []).map(node => body<StatsElem>(node, 'StatsElem')!);
	edits.push(...elementEdits(tokens, bareItems(tokens, on + 1, from), elements, column, to), ...expressionEdits(statistics.exprs, tokens, column, to));
	return checked(applyEdits(definition, edits), column, 'CreateStatsStmt');
}

/** Which side of a foreign key names the column: its own columns, or the ones it references. */
export type ForeignKeySide = 'referencing' | 'referenced';

/**
 * A CHECK or FOREIGN KEY as pg_get_constraintdef prints it → the same constraint over `to` where it
 * had `column`, without a trailing NOT VALID (the caller adds it). A foreign key's column lists are
 * changed on `side` only: a table's key referenced by its own rows is changed where it is referenced.
 */
export function retargetConstraint(definition: string, column: string, to: string, side: ForeignKeySide = 'referencing'): string {
	// The constraint parses only inside a statement; its locations are then shifted by the prefix.
	const prefix = 'ALTER TABLE t ADD ';
	const constraint = body<Constraint>(findAll<Node>(onlyStatement(prefix + definition), 'def')[0], 'Constraint');
	if (!constraint) throw new Error(`not a constraint definition: ${definition}`);
	const tokens = scanTokens(definition);
	const edits: Edit[] = [];
	if (constraint.contype === 'CONSTR_CHECK') {
		edits.push(...expressionEdits(constraint.raw_expr, tokens, column, to, prefix.length));
	} else if (constraint.contype === 'CONSTR_FOREIGN') {
		const own = listItems(tokens, topLevel(tokens, 'KEY') + 1);
		const references = topLevel(tokens, 'REFERENCES', own.close + 1);
		const open = tokens.findIndex((token, i) => i > references && token.text === '(');
		const referenced = listItems(tokens, open);
		const attrs = (list: Node[] | undefined) => names(list).map(name => ({name}));
		if (side === 'referencing') {
			edits.push(...elementEdits(tokens, own.firsts, attrs(constraint.fk_attrs), column, to));
			// ON DELETE SET NULL (a) / SET DEFAULT (a) names some of the referencing columns again.
			if (constraint.fk_del_set_cols?.length) {
				const list = tokens.findIndex((token, i) => i > referenced.close && token.text === '(');
				edits.push(...elementEdits(tokens, listItems(tokens, list).firsts, attrs(constraint.fk_del_set_cols), column, to));
			}
		} else {
			edits.push(...elementEdits(tokens, referenced.firsts, attrs(constraint.pk_attrs), column, to));
		}
	} else {
		throw new Error(`cannot retarget a ${constraint.contype} constraint`);
	}

	const notValid = tokens.length >= 2 && isWord(tokens.at(-2), 'NOT') && isWord(tokens.at(-1), 'VALID');
	// WHY no check that the column is gone? A foreign key's other side may name a column of the same name.
	return applyEdits(definition, notValid ? [...edits, {start: tokens.at(-2)!.start, end: Buffer.byteLength(definition), text: ''}] : edits).trimEnd();
}

/** The rewritten statement must still be one statement of the same kind, and mention the old column nowhere. */
function checked(sql: string, column: string, kind: string): string {
	const node = onlyStatement(sql);
	if (!(kind in node) || stillRefers(node, column)) throw new Error(`could not move ${sql} off column ${column}`);
	return sql;
}
