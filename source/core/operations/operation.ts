import {walkableKey} from '../backfill-sql.js';
import type {Catalog, ColumnInfo, DependentInfo, RowKey, TableInfo} from '../catalog.js';
import type {Check} from '../checks.js';
import {badInput} from '../errors.js';
import type {StepSpec} from '../plan.js';
import {checkIdentifier, shown} from '../sql.js';
import type {WorkingCatalog} from '../working-catalog.js';

/**
 * What an operation compiles against. The catalog is a working copy: each operation applies its
 * own effect to it, so a later operation in the same plan sees the columns an earlier one adds.
 */
export interface CompileContext {
	migrationId: string;
	/** Index of the operation in the plan file. */
	operation: number;
	catalog: WorkingCatalog;
	/** The new version's schema: the sync triggers tell its writes from the old version's by it. */
	versionSchema: string;
}

/**
 * An SQL expression from the plan file (`up`, `down`, a default, a check) that must be proved a
 * single expression over the table before anything runs.
 */
export interface Fragment {
	what: string;
	table: TableInfo;
	expression: string;
	/** Column names bound to other values than the table's own (e.g. `down` sees the new value). */
	bind?: Record<string, string>;
	/** The type the expression must convert to. */
	castTo?: string;
}

export interface Compiled {
	steps: StepSpec[];
	fragments: Fragment[];
	/** Questions about the existing rows that must find none before the first step (checks.ts). */
	checks?: Check[];
}

export function requireTable(ctx: CompileContext, name: string, at: string): TableInfo {
	checkIdentifier(name, `${at}: table`);
	const table = ctx.catalog.table(name);
	if (!table) throw badInput(`${at}: table ${shown(name)} does not exist in schema ${shown(ctx.catalog.schema)}`, 'check the table name (zdm-tui seed creates the demo "users")');
	// Until contract it keeps its old name: SQL written now would name a table that is not there yet.
	if (table.physical !== undefined && table.physical !== table.name) {
		throw badInput(`${at}: table ${shown(name)} is renamed by an earlier operation of this migration`, 'change it in a migration of its own');
	}

	return table;
}

/** No table, index or constraint-backed index of the schema, as the plan leaves it so far, has this name. */
export function requireNoRelation(ctx: CompileContext, name: string, at: string) {
	const tables = ctx.catalog.tables().map(table => ctx.catalog.table(table)!);
	if (tables.some(table => table.name === name || table.physical === name)) throw badInput(`${at}: table ${shown(name)} already exists in schema ${shown(ctx.catalog.schema)}`, 'choose another name, or drop that table in an earlier migration');
	const owner = tables.find(table => table.indexes?.some(index => index.name === name));
	if (owner) throw badInput(`${at}: ${shown(name)} is already the name of an index on ${shown(owner.name)}`, 'choose another name: tables and indexes share one namespace');
}

export function requireColumn(table: TableInfo, name: string, at: string) {
	checkIdentifier(name, `${at}: column`);
	const found = table.columns.find(c => c.name === name);
	if (!found) {
		throw badInput(`${at}: column ${shown(name)} does not exist in ${shown(table.name)}`, `existing columns: ${table.columns.map(c => shown(c.name)).join(', ')}`);
	}

	return found;
}

/**
 * One change per column per migration: a column an earlier operation of this plan renamed or
 * retyped lives under another physical name until contract, and a second change would race the
 * first one's contract statements.
 */
export function requireUnchanged(column: ColumnInfo, at: string) {
	if (column.physical !== undefined && column.physical !== column.name) {
		throw badInput(`${at}: column ${shown(column.name)} is already changed by an earlier operation of this migration`, 'change it again in a migration of its own');
	}
}

export function requireNoColumn(table: TableInfo, name: string, at: string) {
	checkIdentifier(name, `${at}: column`);
	// A renamed column keeps its old name in the table until contract: that name is taken too.
	if (table.columns.some(c => c.name === name || c.physical === name)) {
		throw badInput(`${at}: column ${shown(name)} already exists in ${shown(table.name)}`, 'choose another name, or drop the existing column in an earlier migration');
	}
}

/**
 * The key a backfilled table needs (see walkableKey): the verify before contract names the rows
 * it doubts by it, as a person finds them again. A table with none is refused before anything runs.
 */
export function requireRowKey(table: TableInfo, at: string): RowKey {
	const key = walkableKey(table);
	if (!key) {
		throw badInput(
			`${at}: table ${shown(table.name)} has no row key, which the verify before contract names the rows it doubts by: no primary key, and no unique index whose columns are all NOT NULL`,
			`add a primary key to ${shown(table.name)} first, or a unique index on NOT NULL columns (plain columns, not partial)`,
		);
	}

	return key;
}

/** Expressions go into trigger bodies between dollar quotes; a quote tag inside would end them early. */
export const dollarTag = '$zdm$';

export function checkExpression(expression: string, at: string): string {
	if (expression.includes('$zdm')) throw badInput(`${at}: the expression contains "$zdm"`, 'zdm reserves that dollar-quote tag; use another tag');
	if (expression.includes('\0')) throw badInput(`${at}: the expression contains a NUL byte`, 'remove it');
	return expression;
}

/**
 * An expression placed in DDL exactly as validateFragments proved it: inside parentheses of its
 * own, so nothing in it can reach the statement around it (`'x', DROP username` stays one value).
 */
export const enclosed = (expression: string) => (/[\n\r]|--|\/\*/.test(expression) ? `(\n${expression}\n)` : `(${expression})`);

/** Objects over a column that are not part of the table: they are named, never carried over. */
export const dependentObjectKinds = new Set<DependentInfo['kind']>(['view', 'materialized view', 'rule', 'policy', 'trigger', 'generated column']);

/**
 * Contract drops or retypes `column`: whatever PostgreSQL would drop with it, or refuse to drop it
 * for (views, materialized views, rules, policies, triggers, generated columns on it), is named now, before anything
 * runs. The previous version schema's views are zdm's own and go first in the same contract.
 */
export function requireNoDependentObjects(ctx: CompileContext, table: TableInfo, column: string, at: string, change: string) {
	const dependent = (table.dependents ?? []).find(
		d => dependentObjectKinds.has(d.kind) && d.columns.includes(column) && !(d.schema !== undefined && d.schema === ctx.catalog.previousVersion?.name),
	);
	if (!dependent) return;
	throw badInput(
		`${at}: ${dependent.kind} ${shown(dependent.name, 60)} depends on ${shown(table.name)}.${shown(column)}, which contract ${change}`,
		`drop it in a migration of its own first, and create it again over the new shape after complete`,
	);
}
