import type {AlterTableCmd, AlterTableStmt, ColumnDef, Constraint, RenameStmt} from 'libpg-query';
import {body} from '../lint/sql/nodes.js';
import {columnFields, constraintFields, tableName, type Fields} from './definitions.js';
import type {Range, SqlText} from './sql-text.js';

/** A converted statement: its operations, and notes for the person reading the plan. */
export interface Converted {
	operations: Fields[];
	notes: string[];
}

/** An expression that keeps a column's value as it is: `up`/`down` of a constraint the rows already meet. */
export type Unchanged = (column: string) => string;

/**
 * ALTER TABLE, one operation per command. WHY all or nothing? A statement whose commands only
 * partly convert would run partly as operations and partly as raw SQL, in another order.
 */
export function convertAlterTable(statement: AlterTableStmt, text: SqlText, end: number, unchanged: Unchanged): Converted | undefined {
	const table = tableName(statement.relation);
	if (!table || statement.objtype !== 'OBJECT_TABLE' || statement.missing_ok || statement.relation?.inh !== true || statement.relation?.location === undefined) return undefined;
	const commands = (statement.cmds ?? []).flatMap(node => body<AlterTableCmd>(node, 'AlterTableCmd') ?? []);
	// The commands' text: after the table's name, one per comma outside parentheses, in the AST's order.
	const segments = text.split([text.nameEnd(statement.relation.location), end]);
	if (segments.length !== commands.length) return undefined;
	const converted: Converted = {operations: [], notes: []};
	for (const [index, command] of commands.entries()) {
		const one = convertCommand(command, text, table, segments[index]!, unchanged);
		if (!one) return undefined;
		converted.operations.push(...one.operations);
		converted.notes.push(...one.notes);
	}

	return converted;
}

function convertCommand(command: AlterTableCmd, text: SqlText, table: string, segment: Range, unchanged: Unchanged): Converted | undefined {
	const only = (operation: Fields, ...notes: string[]): Converted => ({operations: [operation], notes});
	const column = command.name;
	if (command.missing_ok || command.behavior === 'DROP_CASCADE') return undefined;
	switch (command.subtype) {
		case 'AT_AddColumn': {
			const def = body<ColumnDef>(command.def, 'ColumnDef');
			const fields = def && columnFields(def, {text, table, end: segment[1], inCreateTable: false});
			return fields && only({add_column: {table, column: fields}});
		}

		case 'AT_DropColumn': {
			return column ? only({drop_column: {table, column}}) : undefined;
		}

		case 'AT_ColumnDefault': {
			if (!column) return undefined;
			if (!command.def) return only({alter_column: {table, column, default: null}});
			const keyword = text.keyword(segment, 'DEFAULT');
			return keyword && only({alter_column: {table, column, default: text.slice([keyword.end, segment[1]])}});
		}

		case 'AT_SetNotNull':
		case 'AT_DropNotNull': {
			return column ? only({alter_column: {table, column, nullable: command.subtype === 'AT_DropNotNull'}}) : undefined;
		}

		case 'AT_AlterColumnType': {
			const def = body<ColumnDef>(command.def, 'ColumnDef');
			if (!column || !def?.typeName?.location || def.collClause) return undefined;
			// USING says how an old value becomes a new one: exactly what `up` says.
			const using = text.keyword([def.typeName.location, segment[1]], 'USING');
			const type = text.slice([def.typeName.location, using?.start ?? segment[1]]);
			return only({alter_column: {table, column, type, ...(using ? {up: text.slice([using.end, segment[1]])} : {})}});
		}

		case 'AT_AddConstraint': {
			const constraint = body<Constraint>(command.def, 'Constraint');
			const fields = constraint && constraintFields(constraint, text, table, segment);
			if (!fields) return undefined;
			const columns = fields.columns as string[];
			const keep = () => Object.fromEntries(columns.map(name => [name, unchanged(name)]));
			const notes = [`up and down keep ${columns.length === 1 ? 'the column' : 'each column'} as it is: a row that breaks the constraint fails it; say what such values become`];
			if (constraint.skip_validation) notes.push('NOT VALID left out: the operation adds the constraint NOT VALID and validates it in a later step');
			return only({create_constraint: {table, ...fields, up: keep(), down: keep()}}, ...notes);
		}

		case 'AT_DropConstraint': {
			return column ? only({drop_constraint: {table, name: column}}) : undefined;
		}

		default: {
			return undefined;
		}
	}
}

/** RENAME COLUMN, RENAME TO (a table) and RENAME CONSTRAINT. */
export function convertRename(statement: RenameStmt): Converted | undefined {
	const table = tableName(statement.relation);
	const {subname: from, newname: to} = statement;
	if (!table || !to || statement.missing_ok) return undefined;
	const only = (operation: Fields): Converted => ({operations: [operation], notes: []});
	switch (statement.renameType) {
		case 'OBJECT_COLUMN': {
			return statement.relationType === 'OBJECT_TABLE' && from ? only({rename_column: {table, from, to}}) : undefined;
		}

		case 'OBJECT_TABLE': {
			return only({rename_table: {from: table, to}});
		}

		case 'OBJECT_TABCONSTRAINT': {
			return from ? only({rename_constraint: {table, from, to}}) : undefined;
		}

		default: {
			return undefined;
		}
	}
}
