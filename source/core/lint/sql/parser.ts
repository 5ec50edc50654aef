import type {Node} from 'libpg-query';

/** One statement of a SQL text, as PostgreSQL's own parser read it. */
export interface ParsedStatement {
	node: Node;
	/** The statement's own text, for messages. */
	text: string;
	/** 0-based UTF-8 byte offset of its first character in the parsed text. */
	location: number;
}

type LibPgQuery = typeof import('libpg-query');
let parser: LibPgQuery | undefined;
let loading: Promise<LibPgQuery> | undefined;

/**
 * Load PostgreSQL's parser (WASM). WHY lazily? It costs ~100 ms at start-up and only plans with
 * raw `sql` operations need it; every other plan is linted from its operations alone.
 */
export async function loadSqlParser(): Promise<void> {
	loading ??= import('libpg-query').then(async module => {
		await module.loadModule();
		parser = module;
		return module;
	});
	await loading;
}

export const sqlParserLoaded = () => parser !== undefined;

/** Thrown by a synchronous reader when the parser is not loaded yet: load it (loadSqlParser) and call again. */
export class SqlParserNotLoaded extends Error {
	constructor() {
		super('the SQL parser is not loaded: await loadSqlParser() first');
	}
}

function loaded(): LibPgQuery {
	if (!parser) throw new SqlParserNotLoaded();
	return parser;
}

export class SqlSyntaxError extends Error {
	constructor(
		message: string,
		/** 0-based character offset into the text, when PostgreSQL gave one. */
		readonly position?: number,
	) {
		super(message);
	}
}

/** Whitespace and comments before a statement (the parser counts them as part of it). */
const leadingNoise = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

/** Split and parse a SQL text into statements; throws SqlSyntaxError with PostgreSQL's message. */
export function parseSql(sql: string): ParsedStatement[] {
	const pg = loaded();
	let result: ReturnType<LibPgQuery['parseSync']>;
	try {
		result = pg.parseSync(sql);
	} catch (error) {
		const details = (error as {sqlDetails?: {message?: string; cursorPosition?: number}}).sqlDetails;
		throw new SqlSyntaxError(details?.message ?? (error instanceof Error ? error.message : String(error)), details?.cursorPosition);
	}

	// Locations are byte offsets into the UTF-8 text, so slice bytes, not characters.
	const bytes = Buffer.from(sql, 'utf8');
	return (result.stmts ?? []).flatMap(raw => {
		if (!raw.stmt) return [];
		const start = raw.stmt_location ?? 0;
		const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
		const whole = bytes.subarray(start, end).toString('utf8');
		// The parser's location includes whitespace and comments before the statement: skip them.
		const lead = Buffer.byteLength(whole) - Buffer.byteLength(whole.replace(leadingNoise, ''));
		return [{node: raw.stmt, text: whole.replace(leadingNoise, '').trim(), location: start + lead}];
	});
}

/** The identifiers of a SQL text as PostgreSQL's own lexer reads them, before it cuts them to 63 bytes. */
export function scanIdentifiers(sql: string): string[] {
	const pg = loaded();
	try {
		return pg
			.scanSync(sql)
			.tokens.filter(token => token.tokenName === 'IDENT')
			.map(token => (token.text.startsWith('"') ? token.text.slice(1, -1).replaceAll('""', '"') : token.text.toLowerCase()));
	} catch {
		return [];
	}
}

/** A token of a SQL text as PostgreSQL's lexer reads it; start and end are UTF-8 byte offsets. */
export interface SqlToken {
	start: number;
	end: number;
	text: string;
	/** A keyword (reserved or not), as opposed to an identifier, a literal or punctuation. */
	keyword: boolean;
	/** A comment: -- to the end of the line, or a block comment. */
	comment: boolean;
}

/** Every token of a SQL text, in order. */
export function scanTokens(sql: string): SqlToken[] {
	return loaded()
		.scanSync(sql)
		.tokens.map(token => ({start: token.start, end: token.end, text: token.text, keyword: token.keywordKind !== 0, comment: token.tokenName === 'SQL_COMMENT' || token.tokenName === 'C_COMMENT'}));
}

/** The length in bytes of the token that starts at byte `location` of the text (a column reference's name, say). */
export function scanIdentifierAt(sql: string, location: number): number {
	const token = scanTokens(sql).find(candidate => candidate.start === location);
	if (!token) throw new Error(`no token starts at ${location}`);
	return token.end - token.start;
}
