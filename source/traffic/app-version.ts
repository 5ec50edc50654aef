import {qualified, ident} from '../core/sql.js';
import type {Queryable, Row} from '../db/database.js';
import type {ColumnUse, TableShape} from './shape.js';
import {runTag, valueFor, writable, type VersionName} from './values.js';

export type RequestKind = 'read' | 'update' | 'insert';

/** The keys a version picks from: a range for integer keys, a sample for any other. */
export class KeyPool {
	private low = 0n;
	private high = -1n;
	private readonly sample: string[] = [];

	constructor(private readonly integer: boolean) {}

	static async load(db: Queryable, shape: TableShape): Promise<KeyPool> {
		const pool = new KeyPool(/^(smallint|integer|bigint)$/.test(shape.key?.type ?? ''));
		// No key to pick by; or a table the plan creates, not there yet: only inserts fill its pool.
		if (!shape.key || !(await exists(db, shape.schema, shape.table))) return pool;
		const table = qualified(shape.schema, shape.table);
		const key = ident(shape.key.column);
		if (pool.integer) {
			const {rows} = await db.query<{low: string | null; high: string | null}>(`SELECT min(${key})::text AS low, max(${key})::text AS high FROM ${table}`);
			if (rows[0]!.low !== null) {
				pool.low = BigInt(rows[0]!.low);
				pool.high = BigInt(rows[0]!.high!);
			}
		} else {
			const {rows} = await db.query<{key: string}>(`SELECT ${key}::text AS key FROM ${table} LIMIT 1000`);
			for (const row of rows) pool.sample.push(row.key);
		}

		return pool;
	}

	/** A key that probably exists (ids may have gaps: an update of a missing one changes nothing). */
	pick(random: () => number): string | undefined {
		if (this.integer) {
			if (this.high < this.low) return undefined;
			const span = this.high - this.low + 1n;
			return String(this.low + BigInt(Math.floor(random() * Number(span))));
		}

		return this.sample.length === 0 ? undefined : this.sample[Math.floor(random() * this.sample.length)];
	}

	add(key: string) {
		if (!this.integer) {
			if (this.sample.length < 10_000) this.sample.push(key);
			return;
		}

		const value = BigInt(key);
		if (this.high < this.low) this.low = value;
		if (value > this.high) this.high = value;
	}
}

async function exists(db: Queryable, schema: string, table: string): Promise<boolean> {
	const {rows} = await db.query<{found: boolean}>('SELECT to_regclass($1) IS NOT NULL AS found', [qualified(schema, table)]);
	return rows[0]!.found;
}

/** One table as one application version sees it. */
export interface VersionTable {
	shape: TableShape;
	/** The table, the key and the columns the version reads and writes, under its own names. */
	table: string;
	/** Undefined for a table without a usable key: the version only reads it. */
	key?: string;
	columns: ColumnUse[];
	keys: KeyPool;
}

export interface Written {
	key: string;
	values: Record<string, unknown>;
}

/**
 * One application version's data access: reads, updates and inserts over the columns it knows.
 * It names tables without a schema, as an application does: its connection's search_path picks
 * its version schema. Identifiers are quoted and every value is a parameter, as an ORM sends them.
 */
export class ApplicationVersion {
	constructor(
		readonly name: VersionName,
		readonly tables: VersionTable[],
		/** The schema this version's connections put on their search_path. */
		readonly schema: string,
		/** Makes this run's values its own (see valueFor). */
		private readonly tag = runTag(),
	) {}

	/** What the version writes: a made-up value for every column it knows; `given` overrides some. */
	private values(table: VersionTable, sequence: number, given: Record<string, unknown> = {}): Record<string, unknown> {
		const values: Record<string, unknown> = {};
		for (const column of table.columns) {
			if (column.name in given) values[column.name] = given[column.name];
			else if (writable(column)) values[column.name] = valueFor(column, this.name, sequence, this.tag);
		}

		return values;
	}

	/** The row of that key; without a key, the first row the table gives (a table with no usable key is only read). */
	async read(db: Queryable, table: VersionTable, key?: string): Promise<Row | undefined> {
		const columns = [...(table.key ? [table.key] : []), ...table.columns.map(column => column.name)].map(ident).join(', ') || '1';
		const {rows} =
			table.key === undefined || key === undefined
				? await db.query(`SELECT ${columns} FROM ${ident(table.table)} LIMIT 1`)
				: await db.query(`SELECT ${columns} FROM ${ident(table.table)} WHERE ${ident(table.key)} = $1`, [key]);
		return rows[0];
	}

	async update(db: Queryable, table: VersionTable, key: string, sequence: number, given?: Record<string, unknown>): Promise<Written & {found: boolean}> {
		const values = this.values(table, sequence, given);
		const names = Object.keys(values);
		if (names.length === 0 || table.key === undefined) return {key, values, found: false};
		const assignments = names.map((name, index) => `${ident(name)} = $${index + 2}`).join(', ');
		const result = await db.query(`UPDATE ${ident(table.table)} SET ${assignments} WHERE ${ident(table.key)} = $1`, [key, ...Object.values(values)]);
		return {key, values, found: result.rowCount > 0};
	}

	async insert(db: Queryable, table: VersionTable, sequence: number, given?: Record<string, unknown>): Promise<Written> {
		if (table.key === undefined) throw new Error(`${table.table} has no usable key: the simulated application only reads it`);
		const values = this.values(table, sequence, given);
		const names = Object.keys(values);
		const target = ident(table.table);
		const returning = `RETURNING ${ident(table.key)}::text AS key`;
		const sql =
			names.length === 0
				? `INSERT INTO ${target} DEFAULT VALUES ${returning}`
				: `INSERT INTO ${target} (${names.map(ident).join(', ')}) VALUES (${names.map((_, index) => `$${index + 1}`).join(', ')}) ${returning}`;
		const {rows} = await db.query<{key: string}>(sql, Object.values(values));
		const key = rows[0]!.key;
		table.keys.add(key);
		return {key, values};
	}

	/** One request of the given kind against a random table and key; false when there was nothing to ask. */
	async request(db: Queryable, kind: RequestKind, random: () => number, sequence: number): Promise<boolean> {
		const table = this.tables[Math.floor(random() * this.tables.length)];
		if (!table) return false;
		// Without a usable key a table is only read: every request to it is a read.
		if (table.key === undefined) {
			await this.read(db, table);
			return true;
		}

		const key = table.keys.pick(random);
		if (kind === 'insert' && table.shape.keyHasDefault) await this.insert(db, table, sequence);
		else if (key === undefined) return false;
		else if (kind === 'read') await this.read(db, table, key);
		else await this.update(db, table, key, sequence);
		return true;
	}
}
