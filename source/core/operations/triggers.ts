import type {TableInfo} from '../catalog.js';
import {ident, literal, ownedName, qualified} from '../sql.js';
import {dollarTag} from './operation.js';

/**
 * The backfill sets this for its own transactions, so the sync triggers stay out of its way:
 * it writes the new column directly, and a trigger reacting to that write would undo it.
 */
export const backfillFlag = "current_setting('zdm.backfill', true) IS DISTINCT FROM 'on'";

/**
 * plpgsql names that a column variable must not shadow: the block assigns NEW.<column>. WHY may
 * FOUND and TG_* be shadowed? The block uses neither, and a column called `found` must read as
 * the column: left undeclared, `upper(found)` read plpgsql's FOUND, and every write failed.
 */
const reserved = new Set(['new', 'old']);

/**
 * Declare one variable per column holding the row's value, so an `up` or `down` expression
 * written against bare column names reads the row being written, as it would in an UPDATE.
 * `table` is the physical table (physicalTable()): the names are the ones the rows have now.
 */
export function declareColumns(table: TableInfo, bind: Record<string, string> = {}): string {
	const lines = table.columns
		.filter(column => !reserved.has(column.name.toLowerCase()) && !(column.name in bind))
		.map(column => `\t\t${ident(column.name)} ${qualified(table.schema, table.name)}.${ident(column.name)}%TYPE := NEW.${ident(column.name)};`);
	for (const [name, source] of Object.entries(bind)) {
		if (!reserved.has(name.toLowerCase())) lines.push(`\t\t${ident(name)} ${qualified(table.schema, table.name)}.${ident(source)}%TYPE := NEW.${ident(source)};`);
	}

	return lines.join('\n');
}

/** `target := (expression)` evaluated with the row's columns in scope. */
export function assignBlock(table: TableInfo, target: string, expression: string, bind?: Record<string, string>): string {
	return assignTo(table, `NEW.${ident(target)}`, expression, bind);
}

function assignTo(table: TableInfo, variable: string, expression: string, bind?: Record<string, string>): string {
	return `\tDECLARE\n${declareColumns(table, bind)}\n\tBEGIN\n\t\t${variable} := (\n${expression}\n);\n\tEND;`;
}

/**
 * Run `then` when the row's `column` no longer holds what `expression` (the early trigger's
 * value) gives: one of the user's triggers changed it. The value is stored as the column stores
 * it (%TYPE), and compared as text because some types (json) have no equality.
 */
export function changedByUserTrigger(table: TableInfo, column: string, expression: string, bind: Record<string, string>, then: string): string {
	const expected = ident('~zdm expected');
	return `\tDECLARE\n\t\t${expected} ${qualified(table.schema, table.name)}.${ident(column)}%TYPE;\n\tBEGIN\n${assignTo(table, expected, expression, bind)}\n\t\tIF CAST(NEW.${ident(column)} AS text) IS DISTINCT FROM CAST(${expected} AS text) THEN\n${then}\n\t\tEND IF;\n\tEND;`;
}

export interface TriggerSql {
	name: string;
	create: string[];
	drop: string[];
}

/** Which application version's writes a sync trigger translates. */
export type Writer = 'old' | 'new' | 'both';

/**
 * The trigger's WHEN: never for the backfill's own rows, and only for the writer it serves.
 * WHY IS [NOT] DISTINCT FROM? current_schema() is NULL when no schema on the path exists.
 */
function firesFor(writer: Writer, versionSchema: string): string {
	if (writer === 'both') return backfillFlag;
	return `${backfillFlag} AND current_schema() IS ${writer === 'new' ? 'NOT ' : ''}DISTINCT FROM ${literal(versionSchema)}`;
}

/**
 * The body of a trigger that serves both writers: the new version's write is translated to the
 * old shape (`down`), anyone else's to the new shape (`up`); never the other way round, so a
 * value a version sets itself is never overwritten.
 */
export function byWriter(versionSchema: string, fromNew: string, fromOld: string): string {
	return `	IF current_schema() IS NOT DISTINCT FROM ${literal(versionSchema)} THEN
${fromNew}
	ELSE
${fromOld}
	END IF;`;
}

/**
 * The sync trigger's name. PostgreSQL fires a table's BEFORE row triggers in name order (bytes):
 * '~' sorts after every letter, digit and '_', so the user's own BEFORE triggers (a normaliser,
 * an updated_at) run first and zdm copies the final NEW. Only a name beginning with '~' or a
 * non-ASCII character would sort after it.
 */
export const syncTriggerPrefix = '~zdm';

/**
 * A trigger that must run before the user's own: '!' sorts before every letter, digit and '_'.
 * It fills the old column from the new version's write, so a user's trigger on that column (a
 * normaliser) sees the value and can change it, as it would for the old version's write.
 */
export const earlyTriggerPrefix = '!zdm';

/** Where a sync trigger fires among the table's BEFORE row triggers. */
export type TriggerOrder = 'after-user' | 'before-user';

/** A BEFORE INSERT OR UPDATE row trigger with the given plpgsql body, and its exact undo. */
export function rowTrigger(migrationId: string, operation: number, table: TableInfo, body: string, writer: Writer, versionSchema: string, order: TriggerOrder = 'after-user'): TriggerSql {
	const early = order === 'before-user';
	const name = ownedName(early ? earlyTriggerPrefix : syncTriggerPrefix, table.name, migrationId, String(operation));
	const fn = qualified(table.schema, ownedName('_zdm', table.name, migrationId, String(operation), ...(early ? ['early'] : [])));
	return {
		name,
		create: [
			`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${dollarTag}\nBEGIN\n${body}\n\tRETURN NEW;\nEND\n${dollarTag}`,
			`CREATE TRIGGER ${ident(name)} BEFORE INSERT OR UPDATE ON ${qualified(table.schema, table.name)} FOR EACH ROW WHEN (${firesFor(writer, versionSchema)}) EXECUTE FUNCTION ${fn}()`,
		],
		drop: [`DROP TRIGGER IF EXISTS ${ident(name)} ON ${qualified(table.schema, table.name)}`, `DROP FUNCTION IF EXISTS ${fn}()`],
	};
}
