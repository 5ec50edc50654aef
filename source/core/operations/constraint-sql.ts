import {badInput} from '../errors.js';
import {ident, qualified} from '../sql.js';
import type {IndexParameters, TableConstraint, TableReferences} from './fields.js';
import {checkExpression, enclosed} from './operation.js';

/**
 * Constraint clauses as pgroll's fields describe them, for CREATE TABLE and ALTER TABLE alike.
 * Names are always quoted; expressions go in parentheses of their own (proved by validateFragments
 * or, for the raw parts pgroll passes through — storage parameters, exclusion elements —, by
 * PostgreSQL's parser reading the whole statement as one: see statement-proof.ts).
 */

export const columnList = (columns: string[]) => columns.map(column => ident(column)).join(', ');

export function deferrable(options: {deferrable?: boolean; initially_deferred?: boolean}): string {
	if (!options.deferrable && !options.initially_deferred) return '';
	return ` DEFERRABLE INITIALLY ${options.initially_deferred ? 'DEFERRED' : 'IMMEDIATE'}`;
}

/** INCLUDE, WITH and USING INDEX TABLESPACE of a unique, primary key or exclusion constraint. */
export function indexParameters(parameters: IndexParameters | undefined): string {
	if (!parameters) return '';
	let sql = '';
	if (parameters.include_columns?.length) sql += ` INCLUDE (${columnList(parameters.include_columns)})`;
	if (parameters.storage_parameters) sql += ` WITH (${parameters.storage_parameters})`;
	if (parameters.tablespace) sql += ` USING INDEX TABLESPACE ${ident(parameters.tablespace)}`;
	return sql;
}

export interface ReferenceOptions {
	on_delete?: TableReferences['on_delete'];
	on_update?: TableReferences['on_update'];
	match_type?: TableReferences['match_type'];
	on_delete_set_columns?: string[];
}

/** REFERENCES … MATCH … ON DELETE … ON UPDATE …, refusing what PostgreSQL 15 cannot do. */
export function referencesClause(schema: string, table: string, columns: string[], options: ReferenceOptions, at: string, own: string[]): string {
	// WHY refuse? PostgreSQL parses MATCH PARTIAL but has never implemented it: the DDL would fail at contract.
	if (options.match_type === 'PARTIAL') throw badInput(`${at}.match_type: PostgreSQL 15 does not implement MATCH PARTIAL`, 'use SIMPLE (the default) or FULL');
	const setColumns = options.on_delete_set_columns ?? [];
	if (setColumns.length > 0) {
		if (options.on_delete !== 'SET NULL' && options.on_delete !== 'SET DEFAULT') throw badInput(`${at}.on_delete_set_columns: only ON DELETE SET NULL or SET DEFAULT sets chosen columns`, 'set on_delete, or leave on_delete_set_columns out');
		const foreign = setColumns.find(column => !own.includes(column));
		if (foreign !== undefined) throw badInput(`${at}.on_delete_set_columns: ${JSON.stringify(foreign)} is not one of the constraint's columns`, `name some of ${own.join(', ')}`);
	}

	const onDelete = `${options.on_delete ?? 'NO ACTION'}${setColumns.length > 0 ? ` (${columnList(setColumns)})` : ''}`;
	return `REFERENCES ${qualified(schema, table)} (${columnList(columns)}) MATCH ${options.match_type ?? 'SIMPLE'} ON DELETE ${onDelete} ON UPDATE ${options.on_update ?? 'NO ACTION'}`;
}

export const checkClause = (expression: string, noInherit?: boolean) => `CHECK ${enclosed(expression)}${noInherit ? ' NO INHERIT' : ''}`;

const present = (value: unknown) => value !== undefined && value !== '' && value !== false && !(Array.isArray(value) && value.length === 0) && !(typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);

/** pgroll's rules for which fields each constraint type takes, as one-line refusals. */
export function checkConstraintFields(constraint: TableConstraint, at: string) {
	const refuse = (field: string, why: string) => {
		throw badInput(`${at}.${field}: ${why}`, `leave ${field} out of a ${constraint.type} constraint`);
	};

	const columns = constraint.columns ?? [];
	switch (constraint.type) {
		case 'unique':
		case 'primary_key': {
			if (columns.length === 0) throw badInput(`${at}.columns: a ${constraint.type} constraint needs columns`, 'list the columns it covers');
			if (present(constraint.check)) refuse('check', 'only a check constraint has a check expression');
			if (constraint.no_inherit) refuse('no_inherit', 'only a check constraint can be NO INHERIT');
			if (constraint.type === 'primary_key' && constraint.nulls_not_distinct) refuse('nulls_not_distinct', 'a primary key has no NULLs to tell apart');
			break;
		}

		case 'check': {
			if (!present(constraint.check)) throw badInput(`${at}.check: a check constraint needs its expression`, 'give check: an expression that must hold for every row');
			if (constraint.deferrable || constraint.initially_deferred) refuse('deferrable', 'PostgreSQL cannot defer a CHECK constraint');
			if (present(constraint.index_parameters)) refuse('index_parameters', 'a CHECK constraint has no index');
			if (constraint.nulls_not_distinct) refuse('nulls_not_distinct', 'only a unique constraint tells NULLs apart');
			break;
		}

		case 'foreign_key': {
			if (columns.length === 0) throw badInput(`${at}.columns: a foreign key needs columns`, 'list the referencing columns');
			if (!constraint.references) throw badInput(`${at}.references: a foreign key needs references`, 'give references: {table, columns}');
			if (constraint.references.columns.length !== columns.length) throw badInput(`${at}.references.columns: ${constraint.references.columns.length} referenced columns for ${columns.length} columns`, 'reference one column for each column of the key');
			if (present(constraint.check)) refuse('check', 'only a check constraint has a check expression');
			if (present(constraint.index_parameters)) refuse('index_parameters', 'a foreign key has no index of its own');
			if (constraint.no_inherit) refuse('no_inherit', 'only a check constraint can be NO INHERIT');
			if (constraint.nulls_not_distinct) refuse('nulls_not_distinct', 'only a unique constraint tells NULLs apart');
			break;
		}

		case 'exclude': {
			if (!constraint.exclude?.elements) throw badInput(`${at}.exclude.elements: an exclusion constraint needs its elements`, 'give exclude: {index_method, elements, predicate}, e.g. elements: room WITH =, during WITH &&');
			if (columns.length > 0) refuse('columns', 'an exclusion constraint names its columns in exclude.elements');
			if (present(constraint.check)) refuse('check', 'only a check constraint has a check expression');
			if (constraint.no_inherit) refuse('no_inherit', 'only a check constraint can be NO INHERIT');
			if (constraint.nulls_not_distinct) refuse('nulls_not_distinct', 'only a unique constraint tells NULLs apart');
			break;
		}
	}

	if (constraint.type !== 'foreign_key' && constraint.references) refuse('references', 'only a foreign key references another table');
	if (constraint.type !== 'exclude' && present(constraint.exclude)) refuse('exclude', 'only an exclusion constraint has exclude');
	if (constraint.type !== 'unique' && constraint.nulls_not_distinct) refuse('nulls_not_distinct', 'only a unique constraint tells NULLs apart');
}

/** A table constraint of create_table, as one clause of CREATE TABLE. */
export function tableConstraintClause(schema: string, constraint: TableConstraint, at: string): string {
	checkConstraintFields(constraint, at);
	const columns = constraint.columns ?? [];
	const name = `CONSTRAINT ${ident(constraint.name)} `;
	switch (constraint.type) {
		case 'unique': {
			return `${name}UNIQUE${constraint.nulls_not_distinct ? ' NULLS NOT DISTINCT' : ''} (${columnList(columns)})${indexParameters(constraint.index_parameters)}${deferrable(constraint)}`;
		}

		case 'primary_key': {
			return `${name}PRIMARY KEY (${columnList(columns)})${indexParameters(constraint.index_parameters)}${deferrable(constraint)}`;
		}

		case 'check': {
			return `${name}${checkClause(checkExpression(constraint.check!, `${at}.check`), constraint.no_inherit)}`;
		}

		case 'foreign_key': {
			const references = constraint.references!;
			return `${name}FOREIGN KEY (${columnList(columns)}) ${referencesClause(schema, references.table, references.columns, references, `${at}.references`, columns)}${deferrable(constraint)}`;
		}

		case 'exclude': {
			const exclude = constraint.exclude!;
			const method = exclude.index_method ? ` USING ${ident(exclude.index_method)}` : '';
			const where = exclude.predicate ? ` WHERE ${enclosed(checkExpression(exclude.predicate, `${at}.exclude.predicate`))}` : '';
			return `${name}EXCLUDE${method} (${checkExpression(exclude.elements!, `${at}.exclude.elements`)})${indexParameters(constraint.index_parameters)}${where}${deferrable(constraint)}`;
		}
	}
}
