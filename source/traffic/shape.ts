import type {Catalog} from '../core/catalog.js';
import {planVersions} from '../core/operations/index.js';
import type {TableVersions, VersionColumn, VersionTable as BookTable} from '../core/operations/version-book.js';
import type {PlanFile} from '../core/plan-file.js';

/** A column an application version reads and writes, under the name that version knows. */
export interface ColumnUse {
	name: string;
	type: string;
	notNull: boolean;
	hasDefault: boolean;
}

/** One table as one application version knows it. */
export interface VersionShape {
	/** The table's name in this version: it reaches it through its own schema on the search_path. */
	table: string;
	/** The single-column key under this version's name; undefined when the table has no usable key. */
	key?: string;
	/** The columns besides the key. */
	columns: ColumnUse[];
}

/** What the two application versions know of one table the plan touches. */
export interface TableShape {
	/** The physical table (its name before the migration, or as the plan creates it): key ranges are read from it. */
	table: string;
	schema: string;
	/** The physical key column and its type; undefined when the table has no usable key (it is then only read). */
	key?: {column: string; type: string};
	/** Inserts leave the key to its default (a serial or identity); without one, a version does not insert. */
	keyHasDefault: boolean;
	/** The old application's table, as it was before the migration; undefined when the plan creates it. */
	v1?: VersionShape;
	/** The new application's table as the plan leaves it, final names only, from expand on; undefined when the plan drops it. */
	v2?: VersionShape;
}

const use = ({name, type, notNull, hasDefault}: VersionColumn): ColumnUse => ({name, type, notNull, hasDefault});

/**
 * Each version's tables and columns, from the registry's account of the plan (planVersions). v1
 * knows the tables as they were, so what the plan adds (and zdm's own shadow columns) is left out
 * even on a resumed migration; v2 knows them as the operations leave them, under the final names,
 * which its version schema shows from expand on. A table the plan creates is v2's only, one it
 * drops v1's only, one it renames has a name in each. A table both versions address by one key
 * column is read and written; any other only read.
 */
export function trafficShapes(file: PlanFile, catalog: Catalog): TableShape[] {
	return shapesOf(planVersions(file, catalog).tables);
}

/** The shapes of the tables a VersionBook followed. */
export function shapesOf(tables: TableVersions[]): TableShape[] {
	const shapes: TableShape[] = [];
	for (const {schema, v1, v2} of tables) {
		const physical = v1 ?? v2;
		if (!physical) continue;
		const known = [v1, v2].filter((table): table is BookTable => table !== undefined);
		const keyed = known.every(table => table.key.length === 1);
		const keyColumn = keyed ? physical.columns.find(column => column.name === physical.key[0]) : undefined;
		const version = (table: BookTable | undefined): VersionShape | undefined => {
			if (!table) return undefined;
			const key = keyColumn ? table.key[0] : undefined;
			return {table: table.name, key, columns: table.columns.filter(column => column.name !== key).map(use)};
		};

		shapes.push({
			table: physical.name,
			schema,
			key: keyColumn && {column: keyColumn.name, type: keyColumn.type},
			keyHasDefault: keyColumn?.hasDefault ?? false,
			v1: version(v1),
			v2: version(v2),
		});
	}

	return shapes;
}
