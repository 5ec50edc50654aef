import {scanTokens, type SqlToken} from '../lint/sql/parser.js';

/** A byte range [start, end) of the SQL text. */
export type Range = [start: number, end: number];

const opens = new Set(['(', '[']);
const closes = new Set([')', ']']);

/**
 * The SQL text of a file with its tokens, to cut the pieces a plan keeps as written (a type, a
 * default, a CHECK, an index predicate) out of the source. WHY from the source? libpg-query reads
 * SQL but cannot print it back, and an expression's node does not say where it ends; the lexer's
 * tokens, with the parentheses counted, do.
 */
export class SqlText {
	readonly bytes: Buffer;
	readonly tokens: SqlToken[];

	private readonly comments: SqlToken[];

	constructor(readonly text: string) {
		this.bytes = Buffer.from(text, 'utf8');
		const tokens = scanTokens(text);
		this.tokens = tokens.filter(token => !token.comment);
		this.comments = tokens.filter(token => token.comment);
	}

	/**
	 * The code of a byte range, from its first token to its last, comments blanked. WHY blank
	 * them? A piece goes into SQL zdm writes around it, where a `-- comment` would swallow the rest
	 * of the line.
	 */
	slice(range: Range): string {
		const tokens = this.within(range);
		if (tokens.length === 0) return '';
		const [start, end] = [tokens[0]!.start, tokens.at(-1)!.end];
		const piece = Buffer.from(this.bytes.subarray(start, end));
		for (const comment of this.comments.filter(comment => comment.start >= start && comment.end <= end)) piece.fill(' ', comment.start - start, comment.end - start);
		return piece.toString('utf8').trim();
	}

	/** A statement as written, up to its last token: a comment after it is not part of it. */
	statement(range: Range): string {
		const tokens = this.within(range);
		return tokens.length === 0 ? '' : this.bytes.subarray(tokens[0]!.start, tokens.at(-1)!.end).toString('utf8');
	}

	/** The tokens that start inside the range. */
	within([start, end]: Range): SqlToken[] {
		return this.tokens.filter(token => token.start >= start && token.start < end);
	}

	/** The range split at its commas outside any parentheses. */
	split(range: Range): Range[] {
		const parts: Range[] = [];
		let depth = 0;
		let from = range[0];
		for (const token of this.within(range)) {
			if (opens.has(token.text)) depth++;
			else if (closes.has(token.text)) depth--;
			else if (depth === 0 && token.text === ',') {
				parts.push([from, token.start]);
				from = token.end;
			}
		}

		parts.push([from, range[1]]);
		return parts;
	}

	/** The first keyword `word` outside parentheses in the range. */
	keyword(range: Range, word: string): SqlToken | undefined {
		let depth = 0;
		for (const token of this.within(range)) {
			if (opens.has(token.text)) depth++;
			else if (closes.has(token.text)) depth--;
			else if (depth === 0 && token.keyword && token.text.toUpperCase() === word) return token;
		}

		return undefined;
	}

	/** What the first parenthesis at or after `from` encloses, and where the closing one ends. */
	parenthesized(from: number, to: number): {inner: Range; end: number} | undefined {
		const tokens = this.within([from, to]);
		const open = tokens.findIndex(token => token.text === '(');
		if (open < 0) return undefined;
		let depth = 0;
		for (const token of tokens.slice(open)) {
			if (opens.has(token.text)) depth++;
			else if (closes.has(token.text) && --depth === 0) return {inner: [tokens[open]!.end, token.start], end: token.end};
		}

		return undefined;
	}

	/** Where a (possibly qualified) name that starts at `location` ends. */
	nameEnd(location: number): number {
		const index = this.tokens.findIndex(token => token.start >= location);
		if (index < 0) return location;
		let last = index;
		while (this.tokens[last + 1]?.text === '.' && this.tokens[last + 2]) last += 2;
		return this.tokens[last]!.end;
	}
}
