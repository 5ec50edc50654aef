import type {AlterTableCmd, ColumnDef, Constraint, Node, RangeVar, TypeName} from 'libpg-query';

/** Small readers over libpg-query's JSON AST, so rules read like the SQL they judge. */

/** The node's statement kind, e.g. "AlterTableStmt". */
export const kindOf = (node: Node): string => Object.keys(node)[0] ?? '';

/** The value under a node's only key, typed by the caller's expectation. */
export function body<T>(node: Node | undefined, kind: string): T | undefined {
	return node && kind in node ? ((node as Record<string, unknown>)[kind] as T) : undefined;
}

export const relationName = (relation: RangeVar | undefined) => relation?.relname ?? '';

/** The String values of a list of nodes (qualified names, column lists). */
export const names = (nodes: Node[] | undefined): string[] => (nodes ?? []).flatMap(node => (body<{sval?: string}>(node, 'String')?.sval ?? []) as string[]);

/** The last part of a possibly qualified name: DROP INDEX public.i → i. */
export const lastName = (nodes: Node[] | undefined) => names(nodes).at(-1) ?? '';

// WHY a cache? Several rules look for the same kind of node in every statement; the walk is the cost.
const found = new WeakMap<object, Map<string, unknown[]>>();

/** Every object under `key` anywhere below the node (e.g. every FuncCall in an expression). */
export function findAll<T>(node: unknown, key: string): T[] {
	if (!node || typeof node !== 'object') return [];
	let byKey = found.get(node);
	if (!byKey) found.set(node, (byKey = new Map()));
	if (!byKey.has(key)) byKey.set(key, collect(node, key, []));
	return byKey.get(key) as T[];
}

function collect(node: unknown, key: string, into: unknown[]): unknown[] {
	if (Array.isArray(node)) {
		for (const item of node) collect(item, key, into);
	} else if (node && typeof node === 'object') {
		for (const [name, value] of Object.entries(node)) {
			if (name === key) into.push(value);
			collect(value, key, into);
		}
	}

	return into;
}

export const alterCommands = (node: Node): AlterTableCmd[] =>
	(body<{cmds?: Node[]}>(node, 'AlterTableStmt')?.cmds ?? []).flatMap(cmd => body<AlterTableCmd>(cmd, 'AlterTableCmd') ?? []);

export const columnConstraints = (column: ColumnDef): Constraint[] => (column.constraints ?? []).flatMap(node => body<Constraint>(node, 'Constraint') ?? []);

/** A type as compared for rewrites: base name without pg_catalog, modifiers, array or not. */
export interface TypeKey {
	name: string;
	mods: number[];
	array: boolean;
}

export function typeKey(typeName: TypeName | undefined): TypeKey | undefined {
	if (!typeName) return undefined;
	const parts = names(typeName.names).filter(part => part !== 'pg_catalog');
	// An integer constant the parser stored with its default omitted is 0.
	const mods = (typeName.typmods ?? []).map(mod => body<{ival?: {ival?: number}}>(mod, 'A_Const')?.ival?.ival ?? 0);
	return {name: parts.join('.'), mods, array: (typeName.arrayBounds?.length ?? 0) > 0};
}

export const showType = (type: TypeKey) => `${type.name}${type.mods.length > 0 ? `(${type.mods.join(',')})` : ''}${type.array ? '[]' : ''}`;

/** A statement shortened to one line for a message. */
export function shortSql(text: string, max = 70): string {
	const line = text.replace(/\s+/g, ' ').trim();
	return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * The constraints an ALTER TABLE adds to an existing table, by ADD CONSTRAINT or with an ADD
 * COLUMN, and the table's name; undefined for any other statement or a table created in the plan.
 */
export function addedConstraints(node: Node, isNew: (table: string) => boolean): {table: string; constraints: Constraint[]} | undefined {
	const table = relationName(body<{relation?: RangeVar}>(node, 'AlterTableStmt')?.relation);
	if (!table || isNew(table)) return undefined;
	const constraints = alterCommands(node).flatMap(cmd => {
		const constraint = body<Constraint>(cmd.def, 'Constraint');
		const column = body<ColumnDef>(cmd.def, 'ColumnDef');
		return cmd.subtype === 'AT_AddConstraint' && constraint ? [constraint] : cmd.subtype === 'AT_AddColumn' && column ? columnConstraints(column) : [];
	});
	return {table, constraints};
}
