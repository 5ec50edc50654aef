import type {ColumnDef, Constraint, IndexStmt, Node} from 'libpg-query';
import {addColumnRewrite, indexBuildingConstraint, scanningConstraint} from './columns.js';
import {alterCommands, body, columnConstraints, kindOf, relationName, typeKey} from './nodes.js';
import type {SchemaState} from './schema-state.js';
import {typeChangeRewrite} from './types.js';

const dml: Record<string, string> = {
	InsertStmt: 'writes rows',
	UpdateStmt: 'updates rows',
	DeleteStmt: 'deletes rows',
	MergeStmt: 'merges rows',
	CopyStmt: 'copies rows',
	CreateTableAsStmt: 'reads a query into a table',
	ReindexStmt: 'rebuilds indexes',
	ClusterStmt: 'rewrites a table',
	VacuumStmt: 'vacuums',
	RefreshMatViewStmt: 'refreshes a materialized view',
	DoStmt: 'runs a DO block',
	CallStmt: 'calls a procedure',
};

/**
 * What a statement does that takes time proportional to a table (a scan, a rewrite, an index
 * build, row changes), or undefined when it only changes the catalog and is done in an instant.
 * Work on a table this plan created is instant too: it is empty and nobody uses it yet.
 */
export function tableWork(node: Node, state: SchemaState): string | undefined {
	const kind = kindOf(node);
	if (kind in dml) return dml[kind];
	if (kind === 'SelectStmt') return body<{fromClause?: Node[]}>(node, kind)?.fromClause ? 'runs a query over tables' : undefined;
	if (kind === 'IndexStmt') return state.isNew(relationName(body<IndexStmt>(node, kind)?.relation)) ? undefined : 'builds an index';
	if (kind !== 'AlterTableStmt') return undefined;
	const table = relationName(body<{relation?: {relname?: string}}>(node, kind)?.relation);
	if (state.isNew(table)) return undefined;
	for (const cmd of alterCommands(node)) {
		const column = body<ColumnDef>(cmd.def, 'ColumnDef');
		const constraint = body<Constraint>(cmd.def, 'Constraint');
		if (cmd.subtype === 'AT_AddColumn' && column) {
			const rewrite = addColumnRewrite(column, state.volatility, state.pgVersion);
			if (rewrite) return rewrite;
			const inline = columnConstraints(column);
			if (inline.some(scanningConstraint)) return 'checks every row against the new constraint';
			if (inline.some(indexBuildingConstraint)) return 'builds a unique index';
		}

		if (cmd.subtype === 'AT_AlterColumnType' && column && cmd.name) {
			const from = state.columnType(table, cmd.name);
			const to = typeKey(column.typeName);
			if (!from || !to || column.raw_default) return 'may rewrite the table (type change)';
			const rewrite = typeChangeRewrite(from, to);
			if (rewrite) return rewrite;
		}

		if (cmd.subtype === 'AT_AddConstraint' && constraint) {
			if (scanningConstraint(constraint)) return 'checks every row against the new constraint';
			if (indexBuildingConstraint(constraint)) return 'builds a unique index';
		}

		if (cmd.subtype === 'AT_ValidateConstraint') return 'scans the table to validate';
		if (cmd.subtype === 'AT_SetNotNull' && cmd.name && !state.isNotNull(table, cmd.name) && !state.hasValidatedNotNullCheck(table, cmd.name)) return 'scans every row for NULLs';
	}

	return undefined;
}
