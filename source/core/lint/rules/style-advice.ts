import type {ColumnDef, Constraint, CreateStmt} from 'libpg-query';
import type {Rule, RuleFinding} from '../rule.js';
import {walkStatements, type StatementVisit} from '../sql/analysis.js';
import {body, columnConstraints, findAll, lastName, names} from '../sql/nodes.js';
import {scanIdentifiers} from '../sql/parser.js';
import {about} from '../sql/statement-rule.js';

/** Every column a statement defines (CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE) — style is judged on new tables too. */
const definedColumns = (visit: StatementVisit) => findAll<ColumnDef>(visit.statement.node, 'ColumnDef');

/** A style rule: advice (`info`), never a reason to fail. */
function adviceRule(spec: Omit<Rule, 'check' | 'severity'> & {advise(visit: StatementVisit): RuleFinding[]}): Rule {
	const {advise, ...rule} = spec;
	return {
		...rule,
		severity: 'info',
		check(ctx) {
			const found: RuleFinding[] = [];
			walkStatements(ctx, visit => found.push(...advise(visit)));
			return found;
		},
	};
}

// char(n) pads with spaces, compares ignoring them, and is no faster than text.
export const preferText = adviceRule({
	id: 'prefer-text',
	description: 'char(n): blank-padded, and no faster or smaller than text.',
	alternative: 'text (with a CHECK on length() if the limit matters)',
	advise: visit =>
		definedColumns(visit)
			.filter(column => lastName(column.typeName?.names) === 'bpchar')
			.map(column => about(visit, `${column.colname ?? 'a column'} is char(n): values are padded with spaces`, 'use text, with a CHECK (length(…) <= n) if the limit matters')),
});

// timestamp without time zone stores wall-clock time: the same instant reads differently by session.
export const preferTimestamptz = adviceRule({
	id: 'prefer-timestamptz',
	description: 'timestamp without time zone: the instant it means depends on every writer\'s TimeZone.',
	alternative: 'timestamptz',
	advise: visit =>
		definedColumns(visit)
			.filter(column => lastName(column.typeName?.names) === 'timestamp')
			.map(column => about(visit, `${column.colname ?? 'a column'} is timestamp without time zone`, 'use timestamptz: it stores an instant, shown in each session\'s time zone')),
});

const smallKeyTypes = new Set(['int2', 'int4', 'serial', 'serial2', 'serial4', 'smallserial']);
const shownKeyType = (type: string) => (type === 'int4' ? 'integer' : type === 'int2' ? 'smallint' : `${type} (32-bit or less)`);

/** The primary-key columns of a CREATE TABLE: inline PRIMARY KEY or a table constraint. */
function keyColumns(create: CreateStmt): ColumnDef[] {
	const columns = (create.tableElts ?? []).flatMap(element => body<ColumnDef>(element, 'ColumnDef') ?? []);
	const tableKey = (create.tableElts ?? []).flatMap(element => body<Constraint>(element, 'Constraint') ?? []).find(c => c.contype === 'CONSTR_PRIMARY');
	const keyNames = new Set(names(tableKey?.keys));
	return columns.filter(column => keyNames.has(column.colname ?? '') || columnConstraints(column).some(c => c.contype === 'CONSTR_PRIMARY'));
}

// A 32-bit key runs out at 2.1 billion rows, and widening it later rewrites the table and its references.
export const preferBigintKey = adviceRule({
	id: 'prefer-bigint-key',
	description: 'an int or serial primary key: it runs out at 2.1 billion, and widening it later rewrites the table.',
	alternative: 'bigint GENERATED ALWAYS AS IDENTITY',
	advise(visit) {
		const create = body<CreateStmt>(visit.statement.node, 'CreateStmt');
		const small = create ? keyColumns(create).filter(column => smallKeyTypes.has(lastName(column.typeName?.names))) : [];
		return small.map(column =>
			about(visit, `key ${column.colname ?? ''} is ${shownKeyType(lastName(column.typeName?.names))}: it runs out at 2.1 billion`, 'use bigint GENERATED ALWAYS AS IDENTITY'),
		);
	},
});

// PostgreSQL cuts identifiers to 63 bytes without an error: two long names can end up the same.
// The parser has already cut them, so the lexer's tokens are read instead.
export const identifierTooLong = adviceRule({
	id: 'identifier-too-long',
	description: 'an identifier longer than 63 bytes, which PostgreSQL silently truncates.',
	alternative: 'a name of at most 63 bytes',
	advise(visit) {
		// Lexing every statement again is the dear part: only when a long enough word is there at all.
		if (!/[^\s,;()]{64}/.test(visit.statement.text)) return [];
		const long = new Set(scanIdentifiers(visit.statement.text).filter(name => Buffer.byteLength(name) > 63));
		return [...long].map(name => about(visit, `"${name.slice(0, 40)}…" is ${Buffer.byteLength(name)} bytes: PostgreSQL silently cuts it to 63`, 'shorten it to at most 63 bytes'));
	},
});
