import type {Catalog, ColumnInfo} from '../core/catalog.js';
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

const use = (column: ColumnInfo): ColumnUse => ({name: column.name, type: column.type, notNull: column.notNull, hasDefault: column.default !== null});

function tableOf(op: PlanFile['operations'][number]): string | undefined {
	return 'table' in op.body ? op.body.table : undefined;
}

/**
 * Derive each version's columns from the plan file and the catalog. v1 knows the table as it was,
 * so columns the plan adds (and zdm's own shadow columns) are left out even on a resumed
 * migration; v2 knows it as the operations leave it, under the final names, which its version
 * schema shows from expand on. Neither ever needs one of zdm's own names.
 */
export function trafficShapes(file: PlanFile, catalog: Catalog): TableShape[] {
	const shapes: TableShape[] = [];
	const tables = [...new Set(file.operations.map(tableOf).filter((name): name is string => name !== undefined))];
	for (const name of tables) {
		const info = catalog.table(name);
		if (!info || info.primaryKey.length !== 1) continue;
		const key = info.columns.find(column => column.name === info.primaryKey[0])!;
		const operations = file.operations.filter(op => tableOf(op) === name);
		const added = new Set(operations.flatMap(op => (op.kind === 'add_column' ? [op.body.column.name] : [])));
		const v1 = info.columns.filter(column => column !== key && !added.has(column.name) && !column.name.startsWith('_zdm')).map(use);
		let v2 = [...v1];
		let v2Key = key.name;
		for (const op of operations) {
			switch (op.kind) {
				case 'add_column': {
					const {column} = op.body;
					v2.push({name: column.name, type: column.type, notNull: !(column.nullable ?? false), hasDefault: column.default !== undefined && column.default !== null});
					break;
				}

				case 'rename_column': {
					if (op.body.from === v2Key) v2Key = op.body.to;
					v2 = v2.map(column => (column.name === op.body.from ? {...column, name: op.body.to} : column));
					break;
				}

				case 'alter_column': {
					const {body} = op;
					if (body.column === v2Key && body.name !== undefined) v2Key = body.name;
					v2 = v2.map(column => {
						if (column.name !== body.column) return column;
						const hasDefault = body.default === undefined ? column.hasDefault : body.default !== null;
						return {name: body.name ?? column.name, type: body.type ?? column.type, notNull: body.nullable === undefined ? column.notNull : !body.nullable, hasDefault};
					});
					break;
				}

				case 'drop_column': {
					v2 = v2.filter(column => column.name !== op.body.column);
					break;
				}

				default: {
					break;
				}
			}
		}

		shapes.push({table: name, schema: info.schema, keyType: key.type, keyHasDefault: key.default !== null || key.identity === true, v1: {key: key.name, columns: v1}, v2: {key: v2Key, columns: v2}});
	}

	return shapes;
}
