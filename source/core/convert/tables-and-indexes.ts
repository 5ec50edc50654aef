import type {ColumnDef, Constraint, CreateStmt, DropStmt, IndexElem, IndexStmt, Node} from 'libpg-query';
import {body, names} from '../lint/sql/nodes.js';
import type {Converted} from './alter-table.js';
import {columnFields, constraintFields, defaultName, tableName, type Fields} from './definitions.js';
import type {SqlText} from './sql-text.js';

/** CREATE TABLE name (columns, constraints): create_table. */
export function convertCreateTable(statement: CreateStmt, text: SqlText, end: number): Converted | undefined {
	const table = tableName(statement.relation);
	const relation = statement.relation;
	if (!table || relation?.location === undefined || relation.relpersistence !== 'p' || statement.if_not_exists) return undefined;
	if (statement.inhRelations || statement.partbound || statement.partspec || statement.ofTypename || statement.options || statement.tablespacename || statement.accessMethod) return undefined;
	if (statement.oncommit && statement.oncommit !== 'ONCOMMIT_NOOP') return undefined;
	const list = text.parenthesized(text.nameEnd(relation.location), end);
	const elements = statement.tableElts ?? [];
	const regions = list ? text.split(list.inner) : [];
	if (!list || regions.length !== elements.length || elements.length === 0) return undefined;
	const columns: Fields[] = [];
	const constraints: Fields[] = [];
	for (const [index, element] of elements.entries()) {
		const region = regions[index]!;
		const column = body<ColumnDef>(element, 'ColumnDef');
		const constraint = body<Constraint>(element, 'Constraint');
		if (column) {
			const fields = columnFields(column, {text, table, end: region[1], inCreateTable: true});
			if (!fields) return undefined;
			columns.push(fields);
		} else if (constraint) {
			const fields = constraintFields(constraint, text, table, region);
			if (!fields) return undefined;
			constraints.push(fields);
		} else {
			return undefined;
		}
	}

	// A table's PRIMARY KEY (a, b) under PostgreSQL's own name is the columns' pk: true.
	const primary = constraints.find(fields => fields.type === 'primary_key' && fields.name === defaultName(table, [], 'pkey'));
	for (const name of (primary?.columns as string[] | undefined) ?? []) {
		const column = columns.find(fields => fields.name === name);
		if (!column) return undefined;
		Object.assign(column, {nullable: false, pk: true});
	}

	const rest = constraints.filter(fields => fields !== primary);
	return {operations: [{create_table: {name: table, columns, ...(rest.length > 0 ? {constraints: rest} : {})}}], notes: []};
}

/** A plain column of an index: no expression, operator class, collation or ordering. */
const plainColumn = (element: IndexElem) =>
	element.name && !element.expr && !element.opclass && !element.collation && !element.opclassopts && (element.ordering ?? 'SORTBY_DEFAULT') === 'SORTBY_DEFAULT' && (element.nulls_ordering ?? 'SORTBY_NULLS_DEFAULT') === 'SORTBY_NULLS_DEFAULT'
		? element.name
		: undefined;

/** CREATE [UNIQUE] INDEX [CONCURRENTLY] on plain columns: create_index (which builds it CONCURRENTLY). */
export function convertCreateIndex(statement: IndexStmt, text: SqlText, end: number): Converted | undefined {
	const table = tableName(statement.relation);
	const columns = (statement.indexParams ?? []).map(node => {
		const element = body<IndexElem>(node, 'IndexElem');
		return element && plainColumn(element);
	});
	if (!table || columns.length === 0 || columns.some(column => column === undefined) || statement.relation?.location === undefined) return undefined;
	if (statement.if_not_exists || statement.indexIncludingParams || statement.options || statement.tableSpace || statement.nulls_not_distinct || statement.relation.inh !== true) return undefined;
	const name = statement.idxname ?? defaultName(table, columns as string[], 'idx');
	if (!name) return undefined;
	const method = statement.accessMethod && statement.accessMethod !== 'btree' ? statement.accessMethod : undefined;
	let predicate: string | undefined;
	if (statement.whereClause) {
		const list = text.parenthesized(text.nameEnd(statement.relation.location), end);
		const where = list && text.keyword([list.end, end], 'WHERE');
		if (!where) return undefined;
		predicate = text.slice([where.end, end]);
	}

	return {
		operations: [{create_index: {table, name, columns, ...(statement.unique ? {unique: true} : {}), ...(method ? {method} : {}), ...(predicate ? {predicate} : {})}}],
		notes: [],
	};
}

/** The names a DROP lists, each unqualified or in public. */
function droppedNames(statement: DropStmt): string[] | undefined {
	const dropped = (statement.objects ?? []).map(node => {
		const parts = names(body<{items?: Node[]}>(node, 'List')?.items);
		return parts.length === 1 || (parts.length === 2 && parts[0] === 'public') ? parts.at(-1) : undefined;
	});
	return dropped.length > 0 && dropped.every(Boolean) ? (dropped as string[]) : undefined;
}

/** DROP TABLE / DROP INDEX [CONCURRENTLY]: one drop_table or drop_index per name. */
export function convertDrop(statement: DropStmt): Converted | undefined {
	if (statement.missing_ok || statement.behavior === 'DROP_CASCADE') return undefined;
	const dropped = droppedNames(statement);
	if (!dropped) return undefined;
	if (statement.removeType === 'OBJECT_TABLE') return {operations: dropped.map(name => ({drop_table: {name}})), notes: []};
	if (statement.removeType === 'OBJECT_INDEX') return {operations: dropped.map(name => ({drop_index: {name}})), notes: []};
	return undefined;
}
