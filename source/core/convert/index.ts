import type {AlterTableStmt, CreateStmt, DropStmt, IndexStmt, RenameStmt} from 'libpg-query';
import YAML from 'yaml';
import {ZdmError} from '../errors.js';
import {lintSqlFile, type Finding} from '../lint/index.js';
import {locator} from '../lint/sql/analysis.js';
import {body, kindOf} from '../lint/sql/nodes.js';
import {loadSqlParser, parseSql, scanTokens, SqlSyntaxError, type ParsedStatement} from '../lint/sql/parser.js';
import {printable} from '../sql.js';
import {convertAlterTable, convertRename, type Converted} from './alter-table.js';
import type {Fields} from './definitions.js';
import {SqlText} from './sql-text.js';
import {convertCreateIndex, convertCreateTable, convertDrop} from './tables-and-indexes.js';

/*
 * `zdm-tui convert FILE.sql` and `migrate`'s .sql files: a plain SQL migration as a plan, read
 * with PostgreSQL's own parser. The statements a safe operation does exactly become that
 * operation; everything else stays as written, a `sql` operation with its lint findings beside it.
 */

export interface ConvertedOperation {
	operation: Fields;
	/** Kept as written: no operation says it exactly. */
	raw: boolean;
	/** The line its statement starts on. */
	line: number;
	/** For the person reading the plan: lint findings, what was left to them. */
	notes: string[];
}

export interface Conversion {
	source: string;
	statements: number;
	operations: ConvertedOperation[];
	/** About the file as a whole (transaction control left out). */
	notes: string[];
}

const transactionControl = new Set(['TransactionStmt']);

/** A name as SQL writes it: bare when that reads back the same, quoted otherwise. */
function sqlName(name: string): string {
	if (/^[a-z_][a-z\d_$]*$/.test(name) && scanTokens(name)[0]?.keyword === false) return name;
	return `"${name.replaceAll('"', '""')}"`;
}

function convertStatement(statement: ParsedStatement, text: SqlText): Converted | undefined {
	const end = statement.location + Buffer.byteLength(statement.text);
	switch (kindOf(statement.node)) {
		case 'AlterTableStmt': {
			return convertAlterTable(body<AlterTableStmt>(statement.node, 'AlterTableStmt')!, text, end, sqlName);
		}

		case 'RenameStmt': {
			return convertRename(body<RenameStmt>(statement.node, 'RenameStmt')!);
		}

		case 'CreateStmt': {
			return convertCreateTable(body<CreateStmt>(statement.node, 'CreateStmt')!, text, end);
		}

		case 'IndexStmt': {
			return convertCreateIndex(body<IndexStmt>(statement.node, 'IndexStmt')!, text, end);
		}

		case 'DropStmt': {
			return convertDrop(body<DropStmt>(statement.node, 'DropStmt')!);
		}

		default: {
			return undefined;
		}
	}
}

/** The SQL with its transaction control statements blanked out, every other byte where it was. */
function withoutTransactionControl(sql: string, statements: ParsedStatement[]): string {
	const bytes = Buffer.from(sql, 'utf8');
	for (const statement of statements.filter(statement => transactionControl.has(kindOf(statement.node)))) {
		bytes.fill(' ', statement.location, statement.location + Buffer.byteLength(statement.text));
	}

	return bytes.toString('utf8');
}

const findingLine = (finding: Finding) => `lint ${finding.severity} ${finding.rule}: ${finding.message} — ${finding.hint}`;

/** Read a .sql migration into operations. Throws a one-line ZdmError naming the file when it is not valid SQL. */
export async function convertSql(sql: string, source: string, options: {pgVersion?: number} = {}): Promise<Conversion> {
	await loadSqlParser();
	const where = locator(sql);
	let statements: ParsedStatement[];
	try {
		statements = parseSql(sql);
	} catch (error) {
		if (!(error instanceof SqlSyntaxError)) throw error;
		const at = error.position === undefined ? undefined : where(Buffer.byteLength(sql.slice(0, error.position)));
		throw new ZdmError('plan-file', `${source}${at ? `:${at.line}:${at.column}` : ''}: not valid SQL: ${printable(error.message)}`, 'fix the SQL at the position shown');
	}

	if (statements.length === 0) throw new ZdmError('plan-file', `${source}: no SQL statements in it`, 'write the migration\'s statements, or remove the file');
	const text = new SqlText(sql);
	// What each statement kept as raw SQL risks, as the plan runs it: every operation in a
	// transaction of its own, so the file is linted without its BEGIN and COMMIT (blanked, so lines stay).
	const findings = await lintSqlFile(source, withoutTransactionControl(sql, statements), {pgVersion: options.pgVersion});
	const conversion: Conversion = {source, statements: statements.length, operations: [], notes: []};
	for (const [index, statement] of statements.entries()) {
		const line = where(statement.location).line;
		if (transactionControl.has(kindOf(statement.node))) {
			conversion.notes.push(`line ${line}: ${statement.text.split(/\s/)[0]!.toUpperCase()} left out: zdm runs each step in a transaction of its own`);
			continue;
		}

		const converted = convertStatement(statement, text);
		if (converted) {
			conversion.operations.push(...converted.operations.map((operation, position) => ({operation, raw: false, line, notes: position === 0 ? converted.notes : []})));
			continue;
		}

		const nextLine = statements[index + 1] ? where(statements[index + 1]!.location).line : Number.POSITIVE_INFINITY;
		const own = findings.filter(finding => (finding.line ?? 1) >= line && (finding.line ?? 1) < nextLine);
		conversion.operations.push({
			operation: {sql: {up: text.statement([statement.location, statement.location + Buffer.byteLength(statement.text)])}},
			raw: true,
			line,
			notes: [
				...own.map(findingLine),
				'no down: migrate refuses a sql operation that cannot be undone (sql-without-down); add the SQL that reverses up, or pass --allow sql-without-down',
			],
		});
	}

	if (conversion.operations.length === 0) throw new ZdmError('plan-file', `${source}: only transaction control, nothing to migrate`, 'write the migration\'s statements, or remove the file');
	return conversion;
}

/** The plan document: what `migrate` validates and runs. */
export const conversionDocument = (conversion: Conversion) => ({operations: conversion.operations.map(converted => converted.operation)});

/** The plan as YAML, each operation's notes as comments above it. */
export function conversionYaml(conversion: Conversion): string {
	const document = new YAML.Document(conversionDocument(conversion));
	const raw = conversion.operations.filter(converted => converted.raw).length;
	document.commentBefore = [
		` converted from ${conversion.source} by zdm-tui convert: ${conversion.statements} statement${conversion.statements === 1 ? '' : 's'}, ${conversion.operations.length} operation${conversion.operations.length === 1 ? '' : 's'}${raw > 0 ? `, ${raw} kept as raw sql` : ''}`,
		...conversion.notes.map(note => ` ${note}`),
	].join('\n');
	const items = (document.get('operations') as YAML.YAMLSeq).items as YAML.Node[];
	for (const [index, converted] of conversion.operations.entries()) {
		const lines = [`line ${converted.line}${converted.raw ? ': kept as raw sql' : ''}`, ...converted.notes];
		items[index]!.commentBefore = lines.map(line => ` ${line}`).join('\n');
	}

	return document.toString({lineWidth: 0});
}
