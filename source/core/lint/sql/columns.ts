import type {ColumnDef, Constraint, FuncCall} from 'libpg-query';
import {columnConstraints, findAll, lastName} from './nodes.js';

/**
 * Built-in functions marked VOLATILE that people put in defaults. A volatile default must be
 * computed row by row, so ADD COLUMN … DEFAULT volatile() rewrites the table; a stable one such
 * as now() is computed once and stored in the catalog (PostgreSQL 11+). User functions are not
 * judged: their volatility is not in the SQL.
 */
const volatileFunctions = new Set([
	'random',
	'random_normal',
	'gen_random_uuid',
	'uuidv4',
	'uuidv7',
	'uuid_generate_v1',
	'uuid_generate_v1mc',
	'uuid_generate_v4',
	'clock_timestamp',
	'timeofday',
	'nextval',
	'txid_current',
	'pg_current_xact_id',
]);

export const serialTypes = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

/** The volatile function a default expression calls, if any. */
export function volatileCall(expression: unknown): string | undefined {
	return findAll<FuncCall>(expression, 'FuncCall')
		.map(call => lastName(call.funcname))
		.find(name => volatileFunctions.has(name));
}

export const columnDefault = (column: ColumnDef) => columnConstraints(column).find(c => c.contype === 'CONSTR_DEFAULT');

/** Why this column computes a value for every existing row as it is added: serial, identity, generated. */
export function generatedColumn(column: ColumnDef): string | undefined {
	const type = lastName(column.typeName?.names);
	if (serialTypes.has(type)) return `${type} fills every existing row from a sequence`;
	for (const constraint of columnConstraints(column)) {
		if (constraint.contype === 'CONSTR_IDENTITY') return 'an identity column fills every existing row';
		if (constraint.contype === 'CONSTR_GENERATED') return 'a stored generated column computes every existing row';
	}

	return undefined;
}

/** Why adding this column must fill every existing row (a rewrite), or undefined. */
export function addColumnRewrite(column: ColumnDef): string | undefined {
	const volatile = volatileCall(columnDefault(column)?.raw_expr);
	return generatedColumn(column) ?? (volatile ? `DEFAULT ${volatile}() is volatile: every existing row gets its own value` : undefined);
}

export const isNotNull = (column: ColumnDef) => column.is_not_null === true || columnConstraints(column).some(c => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');

/** The CHECK or FOREIGN KEY constraints that must scan existing rows (not NOT VALID). */
export const scanningConstraint = (constraint: Constraint) =>
	(constraint.contype === 'CONSTR_CHECK' || constraint.contype === 'CONSTR_FOREIGN') && constraint.skip_validation !== true;

/** UNIQUE, PRIMARY KEY or EXCLUDE built by a plain (blocking) index build. */
export const indexBuildingConstraint = (constraint: Constraint) =>
	(constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_EXCLUSION') && !constraint.indexname;
