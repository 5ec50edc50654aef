import type {Catalog, TableInfo, VersionSchemaInfo} from './catalog.js';
import {physicalName} from './catalog.js';
import {badInput} from './errors.js';
import type {StepSpec} from './plan.js';
import {enclosed} from './operations/operation.js';
import {checkIdentifier, ident, qualified, shown} from './sql.js';

/**
 * Version schemas, as pgroll and reshape have them. Each migration gets a schema of views, one
 * per table, showing the table as the new application version knows it: final names, final
 * defaults, dropped columns gone. An application picks its version with search_path, so the new
 * one uses its final names from expand until long after complete, and the old one keeps its own
 * schema (the previous migration's, or the base schema) until it is retired.
 */

/** pgroll's naming: the base schema, an underscore, the migration's id (or the plan's version_schema). */
export function versionSchemaName(schema: string, migrationId: string, given?: string): string {
	const name = given ?? `${schema}_${migrationId}`;
	return checkIdentifier(name, given === undefined ? `the version schema name ${shown(name)} (schema + "_" + id)` : 'version_schema');
}

/** One view: the columns under their final names, over whatever physical column holds each now. */
function viewStatements(versionSchema: string, table: TableInfo, before: TableInfo | undefined, securityInvoker: boolean): string[] {
	const view = qualified(versionSchema, table.name);
	const columns = table.columns.map(column => (physicalName(column) === column.name ? ident(column.name) : `${ident(physicalName(column))} AS ${ident(column.name)}`));
	// WHY security_invoker? The application's own privileges (and row level security) on the table
	// apply through the view, not those of whoever ran the migration.
	const options = securityInvoker ? ' WITH (security_invoker = true)' : '';
	const statements = [`CREATE VIEW ${view}${options} AS SELECT ${columns.join(', ')} FROM ${qualified(table.schema, table.physical ?? table.name)}`];
	// An INSERT through the view that leaves a column out gets the default the new version
	// expects, even while the physical column has none yet (a shadow column, a deferred default).
	// A column whose table default already is the final one needs none of its own.
	// A table the plan creates has every column's own default already.
	const physicalDefault = (name: string) => (before ?? table).columns.find(column => physicalName(column) === name)?.default ?? null;
	for (const column of table.columns) {
		if (column.default !== null && column.default !== physicalDefault(physicalName(column))) statements.push(`ALTER VIEW ${view} ALTER COLUMN ${ident(column.name)} SET DEFAULT ${enclosed(column.default)}`);
	}

	for (const {grantee, privilege} of table.grants ?? []) {
		statements.push(`GRANT ${privilege} ON ${view} TO ${grantee === 'PUBLIC' ? 'PUBLIC' : ident(grantee)}`);
	}

	return statements;
}

/** Drop a version schema's views, then the schema: never CASCADE, so nothing else goes silently. */
export function dropVersionSchema(name: string, views: string[]): string[] {
	return [...(views.length > 0 ? [`DROP VIEW IF EXISTS ${views.map(view => qualified(name, view)).join(', ')}`] : []), `DROP SCHEMA IF EXISTS ${ident(name)}`];
}

/** The last expand step: the new version's schema of views over the tables as the plan leaves them. */
export function versionSchemaStep(catalog: Catalog, before: Catalog, versionSchema: string): StepSpec {
	if (catalog.schemaExists(versionSchema)) {
		throw badInput(`the version schema ${shown(versionSchema)} already exists`, 'give the plan another id or a version_schema of its own, or drop that schema');
	}

	const tables = catalog.tables().map(name => catalog.table(name)!).filter(table => table.columns.length > 0);
	const grantees = [...new Set(tables.flatMap(table => (table.grants ?? []).map(grant => grant.grantee)))];
	const forward = [
		`CREATE SCHEMA ${ident(versionSchema)}`,
		...grantees.map(grantee => `GRANT USAGE ON SCHEMA ${ident(versionSchema)} TO ${grantee === 'PUBLIC' ? 'PUBLIC' : ident(grantee)}`),
		...tables.flatMap(table => viewStatements(versionSchema, table, before.table(table.physical ?? table.name), catalog.serverVersion >= 150_000)),
	];
	return {
		phase: 'EXPANDING',
		operation: -1,
		kind: 'ddl',
		description: `Create version schema "${versionSchema}": ${tables.length} ${tables.length === 1 ? 'view' : 'views'} with the new names`,
		forward,
		rollback: dropVersionSchema(versionSchema, tables.map(table => table.name)),
		why: `The new application sets search_path to "${versionSchema}" and sees only final names; the old one keeps its schema. Views cost nothing: no row is copied.`,
	};
}

/** Contract's first statements: the previous version's schema goes, as its application has been retired. */
export function previousVersionDrop(previous: VersionSchemaInfo | undefined): string[] {
	return previous ? dropVersionSchema(previous.name, previous.views) : [];
}
