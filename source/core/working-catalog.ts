import type {Catalog, TableInfo} from './catalog.js';

/**
 * The catalog as a plan's operations leave it, one after another: each applies its effect here,
 * so a later operation sees what an earlier one did, and the version schema's views are built
 * from the end result. The catalog it starts from is never changed.
 */
export interface WorkingCatalog extends Catalog {
	/** A table the plan creates: it exists physically from expand on. */
	createTable(table: TableInfo): void;
	/** The new version no longer sees it; it is dropped at contract. */
	dropTable(name: string): void;
	/** The new version sees it under `to`; physically it keeps its name until contract. */
	renameTable(from: string, to: string): void;
}

export function workingCatalog(catalog: Catalog): WorkingCatalog {
	// A copy per table, made when first asked for; undefined marks a table the plan dropped or renamed away.
	const copies = new Map<string, TableInfo | undefined>();
	const names = [...catalog.tables()];
	const table = (name: string): TableInfo | undefined => {
		if (!copies.has(name)) {
			const original = catalog.table(name);
			if (!original) return undefined;
			copies.set(name, structuredClone(original));
		}

		return copies.get(name);
	};

	const add = (info: TableInfo) => {
		copies.set(info.name, info);
		if (!names.includes(info.name)) names.push(info.name);
	};

	return {
		...catalog,
		table,
		tables: () => names.filter(name => table(name) !== undefined),
		createTable: add,
		dropTable(name) {
			copies.set(name, undefined);
		},
		renameTable(from, to) {
			const info = table(from);
			if (!info) return;
			copies.set(from, undefined);
			info.physical ??= from;
			info.name = to;
			add(info);
		},
	};
}
