import type {Catalog, TableInfo} from '../catalog.js';
import {planVersions} from '../operations/index.js';
import type {PlanFile} from '../plan-file.js';

/** Stands for a type lint without a database cannot know; compiled SQL with it is never run. */
const unknownType = 'unknown';

/**
 * A catalog for linting a plan without a database, as squawk lints: every table the plan names
 * exists (large and busy, since nothing says otherwise), with every column the plan uses before
 * adding it, and a single-column key `id`. Compiling against it never says "does not exist".
 * What the plan uses comes from the registry: each operation says which tables and columns it reads.
 */
export function assumedCatalog(file: Pick<PlanFile, 'operations'>, schema = 'public'): Catalog {
	const tables = new Map<string, TableInfo>();
	// PostgreSQL 15 is lint's default version; no version schema exists yet.
	const catalog: Catalog = {schema, table: name => tables.get(name), tables: () => [...tables.keys()], serverVersion: 150_000, schemaExists: () => false};
	planVersions(file, catalog, (table, column) => {
		if (!tables.has(table)) tables.set(table, {schema, name: table, columns: [{name: 'id', type: 'bigint', notNull: true, default: null}], primaryKey: ['id']});
		const info = tables.get(table)!;
		if (column !== undefined && !info.columns.some(c => c.name === column)) info.columns.push({name: column, type: unknownType, notNull: false, default: null});
	});
	return catalog;
}
