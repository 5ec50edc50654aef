import type {ColumnDef, Constraint, RangeVar} from 'libpg-query';
import {columnConstraints, findAll, names} from '../lint/sql/nodes.js';
import type {Range, SqlText} from './sql-text.js';

/*
 * Column definitions and constraints as pgroll's plan files spell them (pgroll's field names, so
 * the plan runs under pgroll too). Anything a field cannot say exactly gives undefined, and the
 * statement stays a `sql` operation: a conversion never changes what the SQL meant.
 */

export type Fields = Record<string, unknown>;

/** pgroll's names for a foreign key's ON DELETE / ON UPDATE action; 'a' (NO ACTION) is the default and left out. */
const actions: Record<string, string> = {r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT'};

const maxNameBytes = 63;

/**
 * The name PostgreSQL gives a constraint or index the SQL leaves unnamed (table_columns_label),
 * so the plan creates the same name; undefined when PostgreSQL would have to shorten it.
 */
export function defaultName(table: string, columns: string[], label: string): string | undefined {
	const name = [table, ...columns, label].join('_');
	return Buffer.byteLength(name) <= maxNameBytes ? name : undefined;
}

/** A table named without a schema, or in public: the schema plans work on. */
export const tableName = (relation: RangeVar | undefined): string | undefined =>
	relation?.relname && (relation.schemaname === undefined || relation.schemaname === 'public') ? relation.relname : undefined;

/** The columns an expression reads, in order of first use. */
export const columnsRead = (expression: unknown): string[] => [...new Set(findAll<{fields?: unknown[]}>(expression, 'ColumnRef').map(ref => names(ref.fields as never).at(-1)).filter((name): name is string => Boolean(name)))];

/** A foreign key's ON DELETE / ON UPDATE / MATCH, as pgroll's reference fields; undefined for what they cannot say. */
function referenceOptions(constraint: Constraint): Fields | undefined {
	if (constraint.fk_matchtype === 'p' || (constraint.fk_del_set_cols?.length ?? 0) > 0) return undefined;
	return {
		...(constraint.fk_del_action && constraint.fk_del_action !== 'a' ? {on_delete: actions[constraint.fk_del_action]} : {}),
		...(constraint.fk_upd_action && constraint.fk_upd_action !== 'a' ? {on_update: actions[constraint.fk_upd_action]} : {}),
		...(constraint.fk_matchtype === 'f' ? {match_type: 'FULL'} : {}),
	};
}

/** DEFERRABLE, NOT ENFORCED: nothing in a plan says them. */
const plain = (constraint: Constraint) => !constraint.deferrable && !constraint.initdeferred && constraint.is_enforced !== false;

interface ColumnContext {
	text: SqlText;
	table: string;
	/** Where the column's definition ends (its comma, parenthesis or the statement's end). */
	end: number;
	/** create_table: a column may be a primary key or generated; add_column may not. */
	inCreateTable: boolean;
}

/** A column definition as pgroll's `column`; undefined when a field cannot say it exactly. */
export function columnFields(def: ColumnDef, {text, table, end, inCreateTable}: ColumnContext): Fields | undefined {
	const name = def.colname;
	if (!name || !def.typeName?.location || def.collClause || def.fdwoptions || def.compression || def.storage_name) return undefined;
	const constraints = columnConstraints(def);
	const boundary = (index: number) => constraints[index + 1]?.location ?? end;
	const column: Fields = {name, type: text.slice([def.typeName.location, constraints[0]?.location ?? end])};
	let nullable = true;
	for (const [index, constraint] of constraints.entries()) {
		const region: Range = [constraint.location ?? 0, boundary(index)];
		if (!plain(constraint)) return undefined;
		switch (constraint.contype) {
			case 'CONSTR_NULL': {
				nullable = true;
				break;
			}

			case 'CONSTR_NOTNULL': {
				nullable = false;
				break;
			}

			case 'CONSTR_DEFAULT': {
				const keyword = text.keyword(region, 'DEFAULT');
				if (!keyword) return undefined;
				column.default = text.slice([keyword.end, region[1]]);
				break;
			}

			case 'CONSTR_UNIQUE': {
				if (constraint.conname !== undefined && constraint.conname !== defaultName(table, [name], 'key')) return undefined;
				if (constraint.nulls_not_distinct || constraint.options || constraint.indexspace) return undefined;
				column.unique = true;
				break;
			}

			case 'CONSTR_PRIMARY': {
				if (!inCreateTable || (constraint.conname !== undefined && constraint.conname !== defaultName(table, [], 'pkey')) || constraint.options || constraint.indexspace) return undefined;
				column.pk = true;
				nullable = false;
				break;
			}

			case 'CONSTR_CHECK': {
				const check = checkText(text, region);
				const checkName = constraint.conname ?? defaultName(table, [name], 'check');
				if (check === undefined || !checkName) return undefined;
				column.check = {name: checkName, constraint: check, ...(constraint.is_no_inherit ? {no_inherit: true} : {})};
				break;
			}

			case 'CONSTR_FOREIGN': {
				const referenced = names(constraint.pk_attrs);
				const target = tableName(constraint.pktable);
				const options = referenceOptions(constraint);
				const keyName = constraint.conname ?? defaultName(table, [name], 'fkey');
				// WHY refuse REFERENCES t without a column? It means t's primary key, which only the database knows.
				if (referenced.length !== 1 || !target || !options || !keyName) return undefined;
				column.references = {name: keyName, table: target, column: referenced[0], ...options};
				break;
			}

			case 'CONSTR_IDENTITY': {
				if (!inCreateTable || constraint.options) return undefined;
				column.generated = {identity: {user_specified_values: constraint.generated_when === 'd' ? 'BY DEFAULT' : 'ALWAYS'}};
				break;
			}

			case 'CONSTR_GENERATED': {
				const keyword = text.keyword(region, 'AS');
				const expression = keyword && text.parenthesized(keyword.end, region[1]);
				if (!inCreateTable || !expression || constraint.generated_kind === 'v') return undefined;
				column.generated = {expression: text.slice(expression.inner)};
				break;
			}

			default: {
				return undefined;
			}
		}
	}

	return {name, type: column.type, nullable, ...column};
}

/** The expression of a CHECK (…) in the range. */
function checkText(text: SqlText, region: Range): string | undefined {
	const keyword = text.keyword(region, 'CHECK');
	const inside = keyword && text.parenthesized(keyword.end, region[1]);
	return inside ? text.slice(inside.inner) : undefined;
}

/**
 * A table constraint (CONSTRAINT … UNIQUE / PRIMARY KEY / CHECK / FOREIGN KEY) as pgroll's
 * constraint fields: name, type, columns, check, references.
 */
export function constraintFields(constraint: Constraint, text: SqlText, table: string, region: Range): Fields | undefined {
	if (!plain(constraint) || constraint.indexname || constraint.options || constraint.indexspace || constraint.including || constraint.nulls_not_distinct || constraint.without_overlaps) return undefined;
	switch (constraint.contype) {
		case 'CONSTR_UNIQUE':
		case 'CONSTR_PRIMARY': {
			const columns = names(constraint.keys);
			const primary = constraint.contype === 'CONSTR_PRIMARY';
			const name = constraint.conname ?? defaultName(table, primary ? [] : columns, primary ? 'pkey' : 'key');
			return name && columns.length > 0 ? {name, type: primary ? 'primary_key' : 'unique', columns} : undefined;
		}

		case 'CONSTR_CHECK': {
			const check = checkText(text, region);
			const columns = columnsRead(constraint.raw_expr);
			const name = constraint.conname ?? defaultName(table, columns.slice(0, 1), 'check');
			if (check === undefined || !name || columns.length === 0) return undefined;
			return {name, type: 'check', columns, check, ...(constraint.is_no_inherit ? {no_inherit: true} : {})};
		}

		case 'CONSTR_FOREIGN': {
			const columns = names(constraint.fk_attrs);
			const referenced = names(constraint.pk_attrs);
			const target = tableName(constraint.pktable);
			const options = referenceOptions(constraint);
			const name = constraint.conname ?? defaultName(table, columns, 'fkey');
			if (!name || !target || !options || columns.length === 0 || referenced.length !== columns.length) return undefined;
			return {name, type: 'foreign_key', columns, references: {table: target, columns: referenced, ...options}};
		}

		default: {
			return undefined;
		}
	}
}
