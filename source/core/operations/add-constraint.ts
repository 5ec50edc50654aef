import type {Check} from '../checks.js';
import {physicalName, type TableInfo} from '../catalog.js';
import {badInput} from '../errors.js';
import type {StepSpec} from '../plan.js';
import {checkIdentifier, ident, ownedName, qualified, shown} from '../sql.js';
import {checkViolations, duplicates, nulls, orphans} from './constraint-checks.js';
import {checkClause, columnList, deferrable, indexParameters, referencesClause, type ReferenceOptions} from './constraint-sql.js';
import type {IndexParameters} from './fields.js';
import {constraintSteps} from './constraints.js';
import {requireColumn, requireTable, type CompileContext} from './operation.js';

/** A constraint an operation adds to an existing table, on the columns as they are at contract. */
export interface NewConstraint {
	name: string;
	type: 'unique' | 'primary_key' | 'check' | 'foreign_key';
	/** The constrained columns' physical names at contract (a shadow column's, when one stands in). */
	columns: string[];
	/** check: the expression, over the physical names. */
	check?: string;
	noInherit?: boolean;
	indexParameters?: IndexParameters;
	references?: {table: string; columns: string[]} & ReferenceOptions;
	deferrable?: boolean;
	initiallyDeferred?: boolean;
	/** The rows as they are satisfy it unless `up` changes them: check them before the first step. */
	checkRows: boolean;
}

export interface ConstraintPlan {
	steps: StepSpec[];
	checks: Check[];
}

/** The constraint name is free on the table, and (for one backed by an index) in the schema. */
export function requireNewConstraintName(ctx: CompileContext, table: TableInfo, name: string, at: string) {
	checkIdentifier(name, at);
	if (table.constraints?.some(constraint => constraint.name === name)) throw badInput(`${at}: ${shown(table.name)} already has a constraint ${shown(name)}`, 'choose another name');
}

/**
 * A foreign key needs a unique, non-partial index (a primary key or unique constraint) on exactly
 * the referenced columns; without one the constraint would fail only at contract.
 */
export function requireReferenceable(table: TableInfo, columns: string[], at: string) {
	const same = (covered: string[]) => covered.length === columns.length && columns.every(column => covered.includes(column));
	const byConstraint = table.constraints?.some(constraint => (constraint.type === 'p' || constraint.type === 'u') && same(constraint.columns));
	const byIndex = table.indexes?.some(index => index.unique && !/\sWHERE\s/i.test(index.definition) && same(index.columns));
	if (byConstraint || byIndex || same(table.primaryKey)) return;
	throw badInput(`${at}: no primary key or unique constraint of ${shown(table.name)} covers exactly ${columns.map(column => shown(column)).join(', ')}`, 'reference the key, or add a unique constraint on those columns first');
}

/**
 * A constraint added to an existing table without blocking it, all at contract (once the old
 * application is retired, whose writes it would otherwise refuse):
 * - CHECK and FOREIGN KEY: NOT VALID (an instant), then VALIDATE (a scan that blocks no writer);
 * - UNIQUE: the index built CONCURRENTLY, then taken over by the constraint (USING INDEX);
 * - PRIMARY KEY: the same, with NOT NULL proved first through validated CHECKs, so SET NOT NULL
 *   needs no scan under its exclusive lock.
 */
export function addConstraint(ctx: CompileContext, table: TableInfo, c: NewConstraint, at: string): ConstraintPlan {
	const target = qualified(table.schema, table.name);
	const checks: Check[] = [];
	// A new table has no rows to check, and does not exist yet when the checks run.
	const checkRows = c.checkRows && !table.created;
	switch (c.type) {
		case 'check': {
			if (checkRows) checks.push(checkViolations(at, table, c.name, c.check!));
			return {steps: constraintSteps(ctx.operation, table, [{name: c.name, definition: checkClause(c.check!, c.noInherit)}], `"${table.name}"`), checks};
		}

		case 'foreign_key': {
			const ref = c.references!;
			const referenced = ref.table === table.name ? table : requireTable(ctx, ref.table, `${at}.references.table`);
			const referencedColumns = ref.columns.map((column, index) => physicalName(requireColumn(referenced, column, `${at}.references.columns[${index}]`)));
			requireReferenceable(referenced, ref.columns, `${at}.references.columns`);
			if (referencedColumns.length !== c.columns.length) throw badInput(`${at}.references.columns: ${referencedColumns.length} referenced columns for ${c.columns.length} columns`, 'reference one column for each column of the key');
			if (checkRows && !referenced.created) checks.push(orphans(at, table, c.name, c.columns, {schema: referenced.schema, table: referenced.name, columns: referencedColumns}, ref.match_type === 'FULL'));
			const definition = `FOREIGN KEY (${columnList(c.columns)}) ${referencesClause(table.schema, referenced.name, referencedColumns, ref, `${at}.references`, c.columns)}${deferrable({deferrable: c.deferrable, initially_deferred: c.initiallyDeferred})}`;
			return {steps: constraintSteps(ctx.operation, table, [{name: c.name, definition}], `"${table.name}"`), checks};
		}

		case 'unique':
		case 'primary_key': {
			const primary = c.type === 'primary_key';
			if (primary && table.primaryKey.length > 0) throw badInput(`${at}: ${shown(table.name)} already has a primary key (${table.primaryKey.join(', ')})`, 'drop it first, in a migration of its own');
			if (checkRows) checks.push(duplicates(at, table, c.name, c.columns));
			const steps: StepSpec[] = [
				{
					phase: 'CONTRACTING',
					operation: ctx.operation,
					kind: 'concurrent',
					table: table.name,
					description: `Build the unique index for ${primary ? 'the primary key' : `"${c.name}"`} concurrently`,
					forward: [`CREATE UNIQUE INDEX CONCURRENTLY ${ident(c.name)} ON ${target} (${columnList(c.columns)})${indexParameters(c.indexParameters)}`],
					rollback: [`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(table.schema, c.name)}`],
					why: 'CONCURRENTLY builds the index while writes go on; the constraint then takes it over in an instant instead of building its own under a lock.',
				},
			];
			const finish: string[] = [];
			const undo: string[] = [];
			if (primary) {
				// NOT NULL first, proved by validated CHECKs, so the key's SET NOT NULL does not scan under its lock.
				const nullable = c.columns.filter(column => !table.columns.some(known => physicalName(known) === column && known.notNull));
				if (checkRows && nullable.length > 0) checks.push(nulls(at, table, nullable));
				const notNull = nullable.map(column => ({name: ownedName('_zdm_nn', column, ctx.migrationId, table.name), definition: `CHECK (${ident(column)} IS NOT NULL)`, notNullOf: column}));
				steps.push(...constraintSteps(ctx.operation, table, notNull, `"${table.name}"`));
				for (const check of notNull) {
					finish.push(`ALTER TABLE ${target} ALTER COLUMN ${ident(check.notNullOf)} SET NOT NULL`, `ALTER TABLE ${target} DROP CONSTRAINT ${ident(check.name)}`);
					undo.unshift(`ALTER TABLE ${target} ADD CONSTRAINT ${ident(check.name)} ${check.definition} NOT VALID`, `ALTER TABLE ${target} ALTER COLUMN ${ident(check.notNullOf)} DROP NOT NULL`);
				}
			}

			finish.push(`ALTER TABLE ${target} ADD CONSTRAINT ${ident(c.name)} ${primary ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${ident(c.name)}${deferrable({deferrable: c.deferrable, initially_deferred: c.initiallyDeferred})}`);
			// Dropping the constraint drops its index: the index step's rollback (IF EXISTS) then has nothing left to do.
			undo.unshift(`ALTER TABLE ${target} DROP CONSTRAINT IF EXISTS ${ident(c.name)}`);
			steps.push({
				phase: 'CONTRACTING',
				operation: ctx.operation,
				kind: 'ddl',
				table: table.name,
				final: true,
				description: `Add ${primary ? 'the primary key' : `unique constraint "${c.name}"`} using its index${finish.length > 1 ? ', SET NOT NULL' : ''}`,
				forward: finish,
				rollback: undo,
				why: 'The index is built and valid: the constraint takes it over without scanning, an instant under the lock.',
			});
			return {steps, checks};
		}
	}
}
