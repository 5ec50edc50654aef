import type {AlterTableCmd, ColumnDef, CreateFunctionStmt, FunctionParameter, Node, RangeVar, TypeName} from 'libpg-query';
import {alterCommands, body, kindOf, names, shortSql} from '../lint/sql/nodes.js';
import {parseSql, SqlSyntaxError, type ParsedStatement} from '../lint/sql/parser.js';
import {ident} from '../sql.js';

/**
 * A `sql` operation without `down`: when every statement only creates something new, its exact
 * inverse is known from PostgreSQL's own parse of it (drop what was created, in reverse order).
 * Anything else — IF NOT EXISTS, OR REPLACE (the object may have existed before), an index
 * without a name, a temporary object — has no provable inverse and still needs `down`.
 */
export type Inverse = {down: string[]} | {missing: string};

const qualifiedName = (parts: string[]) => parts.map(part => ident(part)).join('.');
const relation = (rel: RangeVar | undefined) => qualifiedName([...(rel?.schemaname ? [rel.schemaname] : []), rel?.relname ?? '']);

/** A function's argument type as DROP FUNCTION wants it: the type's name (modifiers do not count), and [] for arrays. */
function argumentType(type: TypeName | undefined): string | undefined {
	if (!type || type.pct_type || type.setof) return undefined;
	return `${qualifiedName(names(type.names))}${(type.arrayBounds?.length ?? 0) > 0 ? '[]' : ''}`;
}

function dropFunction(fn: CreateFunctionStmt): string | undefined {
	if (fn.replace) return undefined;
	const inputs = (fn.parameters ?? []).flatMap(node => body<FunctionParameter>(node, 'FunctionParameter') ?? []).filter(parameter => parameter.mode !== 'FUNC_PARAM_OUT' && parameter.mode !== 'FUNC_PARAM_TABLE');
	const types = inputs.map(parameter => argumentType(parameter.argType));
	if (types.some(type => type === undefined)) return undefined;
	return `DROP ${fn.is_procedure ? 'PROCEDURE' : 'FUNCTION'} ${qualifiedName(names(fn.funcname))}(${types.join(', ')})`;
}

/** The statement that undoes one statement exactly, or undefined when none can be proved. */
function inverseOf(node: Node): string | undefined {
	const kind = kindOf(node);
	const of = <T>() => body<T>(node, kind)!;
	switch (kind) {
		case 'CreateStmt': {
			const create = of<{relation?: RangeVar; if_not_exists?: boolean}>();
			return create.if_not_exists || create.relation?.relpersistence === 't' ? undefined : `DROP TABLE ${relation(create.relation)}`;
		}

		case 'CreateTableAsStmt': {
			const create = of<{into?: {rel?: RangeVar}; objtype?: string; if_not_exists?: boolean}>();
			if (create.if_not_exists || !create.into?.rel || create.into.rel.relpersistence === 't') return undefined;
			return `DROP ${create.objtype === 'OBJECT_MATVIEW' ? 'MATERIALIZED VIEW' : 'TABLE'} ${relation(create.into.rel)}`;
		}

		case 'ViewStmt': {
			const view = of<{view?: RangeVar; replace?: boolean}>();
			return view.replace || view.view?.relpersistence === 't' ? undefined : `DROP VIEW ${relation(view.view)}`;
		}

		case 'IndexStmt': {
			const index = of<{idxname?: string; relation?: RangeVar; concurrent?: boolean; if_not_exists?: boolean}>();
			if (!index.idxname || index.if_not_exists) return undefined;
			// An index lives in its table's schema. A concurrent build may fail half-way and leave an invalid index: IF EXISTS clears either.
			const name = qualifiedName([...(index.relation?.schemaname ? [index.relation.schemaname] : []), index.idxname]);
			return index.concurrent ? `DROP INDEX CONCURRENTLY IF EXISTS ${name}` : `DROP INDEX ${name}`;
		}

		case 'CreateEnumStmt':
		case 'CreateRangeStmt': {
			return `DROP TYPE ${qualifiedName(names(of<{typeName?: Node[]}>().typeName))}`;
		}

		case 'CompositeTypeStmt': {
			return `DROP TYPE ${relation(of<{typevar?: RangeVar}>().typevar)}`;
		}

		case 'CreateDomainStmt': {
			return `DROP DOMAIN ${qualifiedName(names(of<{domainname?: Node[]}>().domainname))}`;
		}

		case 'CreateFunctionStmt': {
			return dropFunction(of<CreateFunctionStmt>());
		}

		case 'CreateSeqStmt': {
			const sequence = of<{sequence?: RangeVar; if_not_exists?: boolean}>();
			return sequence.if_not_exists || sequence.sequence?.relpersistence === 't' ? undefined : `DROP SEQUENCE ${relation(sequence.sequence)}`;
		}

		case 'CreateExtensionStmt': {
			const extension = of<{extname?: string; if_not_exists?: boolean}>();
			return extension.if_not_exists || !extension.extname ? undefined : `DROP EXTENSION ${ident(extension.extname)}`;
		}

		case 'CreateSchemaStmt': {
			const schema = of<{schemaname?: string; if_not_exists?: boolean; schemaElts?: Node[]}>();
			return schema.if_not_exists || !schema.schemaname || (schema.schemaElts?.length ?? 0) > 0 ? undefined : `DROP SCHEMA ${ident(schema.schemaname)}`;
		}

		case 'AlterTableStmt': {
			const alter = of<{relation?: RangeVar; objtype?: string}>();
			const commands = alterCommands(node);
			if (alter.objtype !== 'OBJECT_TABLE' || commands.length === 0 || !commands.every(addsNewColumn)) return undefined;
			const columns = commands.map(cmd => body<ColumnDef>(cmd.def, 'ColumnDef')!.colname!);
			return `ALTER TABLE ${relation(alter.relation)} ${columns.toReversed().map(column => `DROP COLUMN ${ident(column)}`).join(', ')}`;
		}

		default: {
			return undefined;
		}
	}
}

const addsNewColumn = (cmd: AlterTableCmd) => cmd.subtype === 'AT_AddColumn' && !cmd.missing_ok && Boolean(body<ColumnDef>(cmd.def, 'ColumnDef')?.colname);

/** The inverse of a whole `up`: each statement's, last first. The SQL parser must be loaded. */
export function deriveDown(up: string): Inverse {
	let statements: ParsedStatement[];
	try {
		statements = parseSql(up);
	} catch (error) {
		if (error instanceof SqlSyntaxError) return {missing: `it does not parse (${error.message})`};
		throw error;
	}

	const down: string[] = [];
	for (const statement of statements) {
		const inverse = inverseOf(statement.node);
		if (inverse === undefined) return {missing: `${shortSql(statement.text, 50)} has no provable inverse`};
		down.unshift(inverse);
	}

	return down.length > 0 ? {down} : {missing: 'it has no statement'};
}

/** Every statement creates something new (a table, an index, a column…), so no application loses anything it uses. */
export function onlyAdds(statements: ParsedStatement[]): boolean {
	return statements.length > 0 && statements.every(({node}) => {
		const kind = kindOf(node);
		if (kind === 'AlterTableStmt') return alterCommands(node).length > 0 && alterCommands(node).every(cmd => cmd.subtype === 'AT_AddColumn');
		if (kind === 'ViewStmt' || kind === 'CreateFunctionStmt') return body<{replace?: boolean}>(node, kind)?.replace !== true;
		return additiveKinds.has(kind);
	});
}

const additiveKinds = new Set(['CreateStmt', 'CreateTableAsStmt', 'IndexStmt', 'CreateEnumStmt', 'CreateRangeStmt', 'CompositeTypeStmt', 'CreateDomainStmt', 'CreateSeqStmt', 'CreateExtensionStmt', 'CreateSchemaStmt']);
