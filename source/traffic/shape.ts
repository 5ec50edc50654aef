import type {Catalog} from '../core/catalog.js';
import {planVersions} from '../core/operations/index.js';
import type {VersionColumn} from '../core/operations/version-book.js';
import type {PlanFile} from '../core/plan-file.js';

/** A column an application version reads and writes, under the name that version knows. */
export interface ColumnUse {
	name: string;
	type: string;
	notNull: boolean;
	hasDefault: boolean;
}

/** What the two application versions know of one table the plan changes. */
export interface TableShape {
	/** The table's name: both versions reach it through their own schema on the search_path. */
	table: string;
	/** The physical table, where the key ranges are read from. */
	schema: string;
	keyType: string;
	/** Inserts leave the key to its default (a serial or identity); without one, a version does not insert. */
	keyHasDefault: boolean;
	/** The old application: the table as it was before the migration, key apart. */
	v1: {key: string; columns: ColumnUse[]};
	/** The new application: the table as the plan leaves it, final names only, from expand on. */
	v2: {key: string; columns: ColumnUse[]};
}

/**
 * Each version's columns, from the registry's account of the plan (planVersions). v1 knows the
 * table as it was, so columns the plan adds (and zdm's own shadow columns) are left out even on a
 * resumed migration; v2 knows it as the operations leave it, under the final names, which its
 * version schema shows from expand on. Neither ever needs one of zdm's own names. Only tables
 * both versions know, addressed by a single key, are simulated.
 */
export function trafficShapes(file: PlanFile, catalog: Catalog): TableShape[] {
	const shapes: TableShape[] = [];
	for (const {schema, v1, v2} of planVersions(file, catalog).tables) {
		// A renamed table has two names, which one TableShape cannot hold yet: it is not simulated.
		if (!v1 || !v2 || v1.name !== v2.name || v1.key.length !== 1 || v2.key.length !== 1) continue;
		const info = catalog.table(v1.name);
		const key = info?.columns.find(column => column.name === v1.key[0]);
		if (!key) continue;
		const use = ({name, type, notNull, hasDefault}: VersionColumn): ColumnUse => ({name, type, notNull, hasDefault});
		shapes.push({
			table: v1.name,
			schema,
			keyType: key.type,
			keyHasDefault: key.default !== null || key.identity === true,
			v1: {key: v1.key[0]!, columns: v1.columns.filter(column => column.name !== v1.key[0]).map(use)},
			v2: {key: v2.key[0]!, columns: v2.columns.filter(column => column.name !== v2.key[0]).map(use)},
		});
	}

	return shapes;
}
