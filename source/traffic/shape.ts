import type {Catalog, ColumnInfo} from '../core/catalog.js';
import type {PlanFile} from '../core/plan-file.js';
import type {Plan} from '../core/plan.js';

/** A column an application version reads and writes. */
export interface ColumnUse {
	name: string;
	type: string;
	notNull: boolean;
	hasDefault: boolean;
}

/** A v2 column: the name it has while the old shape still exists, and after contract. */
export interface EvolvingColumn extends ColumnUse {
	/** The name after contract (a shadow column is renamed to its final name then). */
	finalName: string;
}

/** What the two application versions see of one table the plan changes. */
export interface TableShape {
	schema: string;
	table: string;
	key: string;
	keyType: string;
	/** Inserts leave the key to its default (a serial or identity); without one, a version does not insert. */
	keyHasDefault: boolean;
	/** The old application: the table as it was before the migration. */
	v1: ColumnUse[];
	/** The new application: the table as the plan leaves it (shadow names until contract). */
	v2: EvolvingColumn[];
}

const use = (column: ColumnInfo): ColumnUse => ({name: column.name, type: column.type, notNull: column.notNull, hasDefault: column.default !== null});

function tableOf(op: PlanFile['operations'][number]): string | undefined {
	return 'table' in op.body ? op.body.table : undefined;
}

/**
 * Derive each version's columns from the plan file and the catalog. v1 knows the table as it was,
 * so columns the plan adds (and zdm's own shadow columns) are left out even on a resumed
 * migration; v2 knows it as the operations leave it, and while contract has not run it has to
 * use a shadow column's temporary name, which the plan's backfill step for that operation names.
 */
export function trafficShapes(file: PlanFile, plan: Pick<Plan, 'steps'>, catalog: Catalog): TableShape[] {
	const shapes: TableShape[] = [];
	const tables = [...new Set(file.operations.map(tableOf).filter((name): name is string => name !== undefined))];
	for (const name of tables) {
		const info = catalog.table(name);
		if (!info || info.primaryKey.length !== 1) continue;
		const key = info.columns.find(column => column.name === info.primaryKey[0])!;
		const added = new Set<string>();
		for (const [index, op] of file.operations.entries()) {
			if (tableOf(op) !== name) continue;
			if (op.kind === 'add_column') added.add(op.body.column.name);
			if (op.kind === 'rename_column') added.add(op.body.to);
			if (op.kind === 'alter_column') {
				if (op.body.name !== undefined && op.body.name !== op.body.column) added.add(op.body.name);
				const shadow = shadowOf(plan, index);
				if (shadow && shadow !== op.body.column) added.add(shadow);
			}
		}

		const v1 = info.columns.filter(column => column.name !== key.name && !added.has(column.name) && !column.name.startsWith('_zdm')).map(use);
		let v2: EvolvingColumn[] = v1.map(column => ({...column, finalName: column.name}));
		for (const [index, op] of file.operations.entries()) {
			if (tableOf(op) !== name) continue;
			switch (op.kind) {
				case 'add_column': {
					const {column} = op.body;
					v2.push({name: column.name, finalName: column.name, type: column.type, notNull: !(column.nullable ?? false), hasDefault: column.default !== undefined && column.default !== null});
					break;
				}

				case 'rename_column': {
					v2 = v2.map(column => (column.finalName === op.body.from ? {...column, name: op.body.to, finalName: op.body.to} : column));
					break;
				}

				case 'alter_column': {
					const {body} = op;
					const shadow = shadowOf(plan, index);
					v2 = v2.map(column => {
						if (column.finalName !== body.column) return column;
						const finalName = body.name ?? column.finalName;
						return {...column, name: shadow ?? finalName, finalName, type: body.type ?? column.type, notNull: body.nullable === undefined ? column.notNull : !body.nullable};
					});
					break;
				}

				case 'drop_column': {
					v2 = v2.filter(column => column.finalName !== op.body.column);
					break;
				}

				default: {
					break;
				}
			}
		}

		shapes.push({schema: info.schema, table: name, key: key.name, keyType: key.type, keyHasDefault: key.default !== null, v1, v2});
	}

	return shapes;
}

/** The column an alter_column's backfill fills: its shadow, when it runs through one. */
function shadowOf(plan: Pick<Plan, 'steps'>, operation: number): string | undefined {
	return plan.steps.find(step => step.operation === operation && step.kind === 'backfill' && step.backfill)?.backfill!.column;
}

/** Whether contract renames a column v2 uses, so v2 must switch names at that commit. */
export const v2Renames = (shapes: TableShape[]) => shapes.some(shape => shape.v2.some(column => column.name !== column.finalName));
