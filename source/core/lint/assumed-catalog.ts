import type {Catalog, TableInfo} from '../catalog.js';
import type {PlanFile} from '../plan-file.js';

/** Stands for a type lint without a database cannot know; compiled SQL with it is never run. */
const unknownType = 'unknown';

/**
 * A catalog for linting a plan without a database, as squawk lints: every table the plan names
 * exists (large and busy, since nothing says otherwise), with every column the plan uses before
 * adding it, and a single-column key `id`. Compiling against it never says "does not exist".
 */
export function assumedCatalog(file: PlanFile, schema = 'public'): Catalog {
	const tables = new Map<string, TableInfo>();
	const added = new Set<string>();
	const table = (name: string) => {
		if (!tables.has(name)) tables.set(name, {schema, name, columns: [{name: 'id', type: 'bigint', notNull: true, default: null}], primaryKey: ['id']});
		return tables.get(name)!;
	};

	const uses = (tableName: string, column: string) => {
		const info = table(tableName);
		if (!added.has(`${tableName}.${column}`) && !info.columns.some(c => c.name === column)) info.columns.push({name: column, type: unknownType, notNull: false, default: null});
	};

	const adds = (tableName: string, column: string) => {
		table(tableName);
		added.add(`${tableName}.${column}`);
	};

	for (const {kind, body} of file.operations) {
		if (kind === 'add_column') {
			if (body.column.references) uses(body.column.references.table, body.column.references.column);
			adds(body.table, body.column.name);
		} else if (kind === 'rename_column') {
			uses(body.table, body.from);
			adds(body.table, body.to);
		} else if (kind === 'alter_column') {
			uses(body.table, body.column);
			if (body.name) adds(body.table, body.name);
		} else if (kind === 'drop_column') {
			uses(body.table, body.column);
		} else if (kind === 'create_index') {
			for (const column of body.columns) uses(body.table, column);
		}
	}

	// PostgreSQL 15 is lint's default version; no version schema exists yet.
	return {schema, table: name => tables.get(name), tables: () => [...tables.keys()], serverVersion: 150_000, schemaExists: () => false};
}
