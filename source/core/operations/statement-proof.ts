import {badInput} from '../errors.js';
import {kindOf} from '../lint/sql/nodes.js';
import {parseSql, SqlSyntaxError} from '../lint/sql/parser.js';
import {printable} from '../sql.js';

/**
 * pgroll passes some fields into DDL as written (storage parameters, exclusion elements, sequence
 * options, operator class parameters). A statement built with any of them is proved, by
 * PostgreSQL's own parser, to be exactly one statement of the kind zdm meant, so nothing in a
 * field can end it and start another. The parser is loaded by the operation's prepare().
 */
export function requireOneStatement(sql: string, kind: string, at: string, fields: string): void {
	let statements;
	try {
		statements = parseSql(sql);
	} catch (error) {
		if (!(error instanceof SqlSyntaxError)) throw error;
		throw badInput(`${at}: PostgreSQL cannot read the statement its fields make: ${printable(error.message.slice(0, 160))}`, `check ${fields}`);
	}

	if (statements.length !== 1 || kindOf(statements[0]!.node) !== kind) {
		throw badInput(`${at}: its fields make ${statements.length === 1 ? 'another kind of statement' : `${statements.length} statements`}, not one ${kind}`, `check ${fields}: each is a part of one statement`);
	}
}
