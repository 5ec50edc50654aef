import type {ColumnDef} from 'libpg-query';
import type {StatementVisit} from './analysis.js';
import {alterCommands, body, relationName, typeKey, type TypeKey} from './nodes.js';

/** One `ALTER COLUMN … TYPE` of a statement, with the column's old type where it is known. */
export interface TypeChange {
	table: string;
	column: string;
	definition: ColumnDef;
	from?: TypeKey;
	to?: TypeKey;
}

/**
 * The type changes of an ALTER TABLE on a table that existed before the file (a table it creates
 * itself is empty: nothing to rewrite or cut). Shared by the rewrite and the narrowing rules.
 */
export function typeChanges(visit: StatementVisit): TypeChange[] {
	const table = relationName(body<{relation?: {relname?: string}}>(visit.statement.node, 'AlterTableStmt')?.relation);
	if (!table || visit.state.isNew(table)) return [];
	return alterCommands(visit.statement.node).flatMap(cmd => {
		const definition = body<ColumnDef>(cmd.def, 'ColumnDef');
		if (cmd.subtype !== 'AT_AlterColumnType' || !definition || !cmd.name) return [];
		return [{table, column: cmd.name, definition, from: visit.state.columnType(table, cmd.name), to: typeKey(definition.typeName)}];
	});
}
