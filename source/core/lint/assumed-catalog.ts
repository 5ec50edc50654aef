import type {Catalog, TableInfo} from '../catalog.js';
import {planVersions} from '../operations/index.js';
import type {PlanFile} from '../plan-file.js';

/** Stands for a type lint without a database cannot know; compiled SQL with it is never run. */
const unknownType = 'unknown';

/**
 * A catalog for linting a plan without a database, as squawk lints: every table the plan names
 * exists (large and busy, since nothing says otherwise), with every column the plan uses before
 * adding it, and a single-column key `id`. Compiling against it never says "does not exist".
 * What the plan uses comes from the registry: each operation says which tables, columns, keys,
 * indexes and constraints it needs.
 */
export function assumedCatalog(file: Pick<PlanFile, 'operations'>, schema = 'public'): Catalog {
	const tables = new Map<string, TableInfo>();
	// PostgreSQL 15 is lint's default version; no version schema exists yet.
	const catalog: Catalog = {schema, table: name => tables.get(name), tables: () => [...tables.keys()], serverVersion: 150_000, schemaExists: () => false};
	const table = (name: string) => {
		if (!tables.has(name)) tables.set(name, {schema, name, columns: [{name: 'id', type: 'bigint', notNull: true, default: null}], primaryKey: ['id'], indexes: [], constraints: []});
		return tables.get(name)!;
	};

	const column = (info: TableInfo, name: string) => {
		if (!info.columns.some(c => c.name === name)) info.columns.push({name, type: unknownType, notNull: false, default: null});
	};

	planVersions(file, catalog, need => {
		// An index named without its table is assumed on a table of its own.
		const info = table(need.table ?? `table of ${'index' in need ? need.index : ''}`);
		if ('column' in need && need.column !== undefined) column(info, need.column);
		if ('key' in need) {
			for (const name of need.key) column(info, name);
			info.constraints!.push({name: `${info.name}_${need.key.join('_')}_key`, type: 'u', columns: need.key, definition: '', validated: true});
		}

		if ('index' in need && !info.indexes!.some(index => index.name === need.index)) info.indexes!.push({name: need.index, definition: '', columns: [], unique: need.unique ?? false});
		if ('constraint' in need && !info.constraints!.some(constraint => constraint.name === need.constraint)) {
			for (const name of need.columns) column(info, name);
			info.constraints!.push({name: need.constraint, type: 'c', columns: need.columns, definition: 'CHECK (true)', validated: true});
		}
	});
	return catalog;
}
