import type {Catalog, ColumnInfo} from '../catalog.js';

/** A column as one application version reads and writes it, under the name that version knows. */
export interface VersionColumn {
	name: string;
	type: string;
	notNull: boolean;
	/** Inserts may leave it out: a default, an identity or a generated column fills it. */
	hasDefault: boolean;
}

/** One table as one application version sees it. */
export interface VersionTable {
	name: string;
	columns: VersionColumn[];
	/** The primary key's columns, under this version's names. */
	key: string[];
}

/** What the old and the new application know of one table the plan touches. */
export interface TableVersions {
	/** The physical table's schema. */
	schema: string;
	/** The old application's table; undefined when the plan creates it. */
	v1?: VersionTable;
	/** The new application's table, as the plan leaves it; undefined when the plan drops it. */
	v2?: VersionTable;
}

export const versionColumn = (column: ColumnInfo): VersionColumn => ({
	name: column.name,
	type: column.type,
	notNull: column.notNull,
	hasDefault: column.default !== null || column.identity === true,
});

/**
 * What an operation needs to exist that the catalog may lack: a table or one of its columns, a
 * unique key a reference points at, an index, a constraint. Lint without a database assumes each.
 */
export type Need = {table: string; column?: string} | {table: string; key: string[]} | {table?: string; index: string; unique?: boolean} | {table: string; constraint: string; columns: string[]};

/** zdm's own columns (shadow columns of a started migration) belong to no application version. */
const ownColumn = (name: string) => name.startsWith('_zdm');

/**
 * How each application version sees the tables a plan touches, built operation by operation
 * from the catalog as it was: v1 is the table before the plan, v2 the table after it, under the
 * final names. On a resumed migration the catalog already holds what the plan added; v1 leaves
 * those out, since the old application never knew them.
 *
 * `assume` is told of everything an operation needs to exist (lint without a database uses it
 * to assume that it does); without it, a name the catalog lacks is simply not followed.
 */
export class VersionBook {
	readonly tables: TableVersions[] = [];
	/** Names the plan dropped or renamed away: later operations no longer find them. */
	private readonly gone = new Set<string>();

	constructor(
		private readonly catalog: Catalog,
		private readonly assume?: (need: Need) => void,
	) {}

	/** The table of that name as the new version knows it so far, read from the catalog when first touched. */
	table(name: string): TableVersions | undefined {
		const known = this.tables.find(table => table.v2?.name === name);
		if (known) return known;
		if (this.gone.has(name)) return undefined;
		if (!this.catalog.table(name)) this.assume?.({table: name});
		const info = this.catalog.table(name);
		if (!info) return undefined;
		const columns = info.columns.filter(column => !ownColumn(column.name)).map(versionColumn);
		const v1 = {name, columns, key: [...info.primaryKey]};
		const entry: TableVersions = {schema: info.schema, v1, v2: structuredClone(v1)};
		this.tables.push(entry);
		return entry;
	}

	/** The new version's columns of a table; undefined when the table is unknown. */
	v2(table: string): VersionTable | undefined {
		return this.table(table)?.v2;
	}

	/** The operation reads these columns of the table as the new version knows it. */
	reads(table: string, ...columns: string[]) {
		const entry = this.table(table);
		if (!entry?.v2) return;
		for (const name of columns) {
			if (entry.v2.columns.some(column => column.name === name)) continue;
			this.assume?.({table, column: name});
			const found = this.catalog.table(table)?.columns.find(column => column.name === name);
			if (found) {
				entry.v1?.columns.push(versionColumn(found));
				entry.v2.columns.push(versionColumn(found));
			}
		}
	}

	/** A reference points at these columns: a unique key must cover them. */
	referencesKey(table: string, columns: string[]) {
		this.reads(table, ...columns);
		if (!this.createdHere(table)) this.assume?.({table, key: columns});
	}

	/** Created by the plan itself: its own definition says what it has. */
	private createdHere(table: string): boolean {
		const entry = this.tables.find(known => known.v2?.name === table);
		return entry !== undefined && entry.v1 === undefined;
	}

	/** The operation names an index (of this table, when it says). */
	needsIndex(index: string, table?: string, unique?: boolean) {
		if (table !== undefined) this.table(table);
		if (table === undefined || !this.createdHere(table)) this.assume?.({table, index, unique});
	}

	/** The operation names a constraint of the table, over these columns when it knows them. */
	needsConstraint(table: string, constraint: string, columns: string[] = []) {
		this.reads(table, ...columns);
		if (!this.createdHere(table)) this.assume?.({table, constraint, columns});
	}

	addColumn(table: string, column: VersionColumn, inKey = false) {
		const entry = this.table(table);
		if (!entry?.v2) return;
		// Resumed after expand, the catalog holds it already: still not the old application's.
		if (entry.v1) entry.v1.columns = entry.v1.columns.filter(known => known.name !== column.name);
		entry.v2.columns = [...entry.v2.columns.filter(known => known.name !== column.name), column];
		if (inKey && !entry.v2.key.includes(column.name)) entry.v2.key.push(column.name);
	}

	changeColumn(table: string, name: string, change: Partial<VersionColumn>) {
		const entry = this.table(table);
		if (!entry?.v2) return;
		this.reads(table, name);
		entry.v2.columns = entry.v2.columns.map(column => (column.name === name ? {...column, ...change} : column));
		if (change.name !== undefined) entry.v2.key = entry.v2.key.map(key => (key === name ? change.name! : key));
	}

	dropColumn(table: string, name: string) {
		const entry = this.table(table);
		if (!entry?.v2) return;
		this.reads(table, name);
		entry.v2.columns = entry.v2.columns.filter(column => column.name !== name);
		entry.v2.key = entry.v2.key.filter(key => key !== name);
	}

	setKey(table: string, key: string[]) {
		const v2 = this.v2(table);
		if (v2) v2.key = [...key];
	}

	createTable(name: string, columns: VersionColumn[], key: string[]) {
		this.gone.delete(name);
		this.tables.push({schema: this.catalog.schema, v2: {name, columns, key}});
	}

	dropTable(name: string) {
		const entry = this.table(name);
		if (entry) entry.v2 = undefined;
		this.gone.add(name);
	}

	renameTable(from: string, to: string) {
		const v2 = this.v2(from);
		if (!v2) return;
		v2.name = to;
		this.gone.add(from);
		this.gone.delete(to);
	}
}
