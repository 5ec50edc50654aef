import type {ColumnDef, Constraint, FuncCall} from 'libpg-query';
import type {Volatility} from '../rule.js';
import {steadyBuiltins, volatileBuiltins} from './builtin-functions.js';
import {body, columnConstraints, findAll, lastName} from './nodes.js';

export const serialTypes = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

/** How volatile a function is: from the database's catalog when there is one, else PostgreSQL's built-ins. */
export type VolatilityOf = (name: string) => Volatility | undefined;

export const builtinVolatility: VolatilityOf = name => (volatileBuiltins.has(name) ? 'volatile' : steadyBuiltins.has(name) ? 'stable' : undefined);

/**
 * The volatile function a default expression calls, if any. A function nobody knows (a user
 * function, without a catalog to ask) is taken as volatile, PostgreSQL's own default for
 * CREATE FUNCTION. A stable one such as now() is computed once and stored in the catalog (11+).
 */
export function volatileCall(expression: unknown, volatility: VolatilityOf = builtinVolatility): {name: string; user: boolean} | undefined {
	for (const call of findAll<FuncCall>(expression, 'FuncCall')) {
		const name = lastName(call.funcname);
		const known = volatility(name);
		if (known === undefined || known === 'volatile') return {name, user: known === undefined || !volatileBuiltins.has(name)};
	}

	return undefined;
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

/** Why adding this column must fill every existing row (a rewrite), or undefined. Before PostgreSQL 11 any default did. */
export function addColumnRewrite(column: ColumnDef, volatility?: VolatilityOf, pgVersion = 15): string | undefined {
	const expression = columnDefault(column)?.raw_expr;
	const volatile = volatileCall(expression, volatility);
	if (generatedColumn(column)) return generatedColumn(column);
	if (volatile) return `DEFAULT ${volatile.name}() is ${volatile.user ? 'a function not known to be stable, so volatile' : 'volatile'}: every existing row gets its own value`;
	if (pgVersion < 11 && expression && body<{isnull?: boolean}>(expression, 'A_Const')?.isnull !== true) return `before PostgreSQL 11 any DEFAULT fills every existing row`;
	return undefined;
}

export const isNotNull = (column: ColumnDef) => column.is_not_null === true || columnConstraints(column).some(c => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');

/** The CHECK or FOREIGN KEY constraints that must scan existing rows (not NOT VALID). */
export const scanningConstraint = (constraint: Constraint) =>
	(constraint.contype === 'CONSTR_CHECK' || constraint.contype === 'CONSTR_FOREIGN') && constraint.skip_validation !== true;

/** UNIQUE, PRIMARY KEY or EXCLUDE built by a plain (blocking) index build. */
export const indexBuildingConstraint = (constraint: Constraint) =>
	(constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_EXCLUSION') && !constraint.indexname;
