import type {Extension, Extensions} from '@electric-sql/pglite';
import {batchSettings} from '../core/backfill-sql.js';
import {ZdmError} from '../core/errors.js';
import {loadSqlParser} from '../core/lint/sql/parser.js';
import {ident, qualified} from '../core/sql.js';
import type {Database} from '../db/database.js';
import {copyRows} from '../db/copy-rows.js';
import {generateRows, type TableRows} from '../db/generate-rows.js';
import {openBlankEmbedded} from '../db/open.js';
import {dumpPart, findPgDump} from '../db/pg-dump.js';
import {openRehearsalSource, tableKey, type TableKey} from '../db/rehearsal-source.js';
import {advanceSequences, rowTables} from '../db/row-catalog.js';
import {activeMigration} from '../db/state.js';
import {dumpEntries, extensionsOf, foreignKeys, loadEntries, makesKeys, rolesOf, type NotValid, type Skipped} from '../db/schema-copy.js';

/*
 * Rehearse: the target's schema, copied into a throwaway embedded database, with rows made up
 * (or, with --copy-rows, a sample of real ones), so a plan can run there first. Nothing is
 * written to the target: see db/rehearsal-source.ts and db/pg-dump.ts for what runs there.
 *
 * What runs on the copy is the caller's: commands/rehearse.ts runs one plan file with `run`'s
 * own code. A directory of migrations (a chain) plugs in the same way: open the copy here, hand
 * it to the chain's runner, and time the migrations it ran with rehearsalTimings.
 */

export const defaultRehearsalRows = 10_000;

export interface RehearsalOptions {
	/** The target's URL: only read. */
	from: string;
	/** Rows to generate per table (default 10,000), never more than the target's estimate. */
	rows?: number;
	/** Copy up to this many real rows per table instead of generating them. */
	copyRows?: number;
	/** What is happening now, for a spinner or a log line. */
	onProgress?: (what: string) => void;
	/** Ctrl-C: stop between the copy's stages (the copy is thrown away; the target was only read). */
	signal?: AbortSignal;
}

export interface TableReport extends TableRows {
	/** The target's estimate (pg_class.reltuples); null when never analyzed. */
	production: number | null;
}

export interface CopyReport {
	/** "host:port/database". */
	source: string;
	serverVersion: string;
	/** What read the schema: "pg_dump 15.18". */
	reader: string;
	rows: {mode: 'generated' | 'copied'; perTable: number};
	/** Objects loaded from the dump. */
	objects: number;
	/** Roles the dump's owners and grants name, made as NOLOGIN placeholders in the copy. */
	roles: string[];
	/** Extensions loaded from PGlite's own set. */
	extensions: string[];
	/** zdm's state was copied with its rows: a started migration continues in the copy. */
	state: boolean;
	tables: TableReport[];
	/** What the embedded database could not hold, one object a line. */
	skipped: Skipped[];
	/** Constraints the rows break, added NOT VALID. */
	notValid: NotValid[];
}

export interface RehearsalCopy {
	/** The embedded copy: the caller runs the plan on it and closes it. */
	db: Database;
	report: CopyReport;
}

/** PGlite's contrib modules for the extensions a dump creates; the rest fail to load and are listed. */
async function pgliteExtensions(names: string[]): Promise<Extensions> {
	const extensions: Extensions = {};
	for (const name of names) {
		const module = name.replaceAll('-', '_');
		if (name === 'plpgsql' || !/^\w+$/.test(module)) continue;
		try {
			const loaded = (await import(module === 'vector' ? '@electric-sql/pglite/vector' : `@electric-sql/pglite/contrib/${module}`)) as Record<string, Extension>;
			if (loaded[module]) extensions[module] = loaded[module];
		} catch {}
	}

	return extensions;
}

export const copyLabel = (source: string, rows: CopyReport['rows']) =>
	`copy of ${source}, ${rows.mode === 'copied' ? `up to ${rows.perTable.toLocaleString('en')} REAL rows a table` : `generated rows`}`;

/**
 * Generated rows hold made-up values in the columns a started migration has already backfilled on
 * the target, where every row holds what the backfill computed. Empty them and fill them again over
 * the whole copy with the stored backfill's own statement (one batch of every page, not recorded), so the copy's contract
 * (its verify step first) meets the rows as the target's would.
 */
async function refillStartedBackfills(db: Database): Promise<void> {
	const started = await activeMigration(db);
	if (!started) return;
	for (const step of started.steps) {
		if (step.kind !== 'backfill' || step.status !== 'executed' || !step.backfill) continue;
		const spec = step.backfill;
		await db.transaction(async tx => {
			await tx.query(batchSettings, ['30s', true]);
			// The made-up values go first: the backfill fills only empty ones (it never overwrites a
			// value an application version wrote). Its settings keep the sync trigger out of this.
			await tx.query(`UPDATE ${qualified(spec.schema, spec.table)} SET ${ident(spec.column)} = NULL`);
			const whole = (await tx.query<{pages: number; files: string}>(spec.pages, [spec.relation])).rows[0]!;
			await tx.query(spec.pageBatch, ['(0,0)', `(${whole.pages},0)`, spec.relation, whole.files]);
		});
	}
}

/** Copy the target's schema (and zdm's state) into a throwaway embedded database, then fill its tables. */
export async function openRehearsalCopy(options: RehearsalOptions): Promise<RehearsalCopy> {
	const progress = (what: string) => {
		if (options.signal?.aborted) throw new ZdmError('interrupted', 'interrupted while making the rehearsal copy; nothing was written anywhere', 'run it again');
		options.onProgress?.(what);
	};

	const mode = options.copyRows === undefined ? 'generated' : 'copied';
	const perTable = options.copyRows ?? options.rows ?? defaultRehearsalRows;
	progress('Reading the target’s schema (read-only)…');
	const source = await openRehearsalSource(options.from);
	let db: Database | undefined;
	try {
		const pgDump = await findPgDump(source.serverMajor);
		const hasState = await source.hasState();
		const [pre, post, state, estimates] = await Promise.all([
			dumpPart(pgDump, options.from, 'pre-data', source.snapshot),
			dumpPart(pgDump, options.from, 'post-data', source.snapshot),
			hasState ? dumpPart(pgDump, options.from, 'state-rows', source.snapshot) : Promise.resolve(''),
			source.rowEstimates(),
			loadSqlParser(),
		]);
		const preEntries = dumpEntries(pre);
		const postEntries = dumpEntries(post);
		const extensions = await pgliteExtensions(extensionsOf(preEntries));
		progress(`Loading the schema of ${source.label} into a throwaway embedded database…`);
		db = await openBlankEmbedded({label: copyLabel(source.label, {mode, perTable}), extensions});
		const {rows: present} = await db.query<{name: string}>('SELECT rolname AS name FROM pg_roles');
		const placeholders = rolesOf([...preEntries, ...postEntries]).filter(role => !present.some(row => row.name === role));
		for (const role of placeholders) await db.query(`CREATE ROLE ${ident(role)} NOLOGIN`);
		const loadedPre = await loadEntries(db, preEntries);
		// Unique keys before the rows, so rows that would repeat one are left out; the rest after.
		const keyEntries = postEntries.filter(entry => makesKeys(entry));
		const loadedKeys = await loadEntries(db, keyEntries);
		const loadedState = hasState ? await loadEntries(db, dumpEntries(state)) : {loaded: 0, skipped: [], notValid: []};
		const tables = await rowTables(db);
		const production = (table: TableKey) => estimates.get(tableKey(table)) ?? null;
		progress(mode === 'copied' ? `Copying up to ${perTable.toLocaleString('en')} rows a table…` : `Generating up to ${perTable.toLocaleString('en')} rows a table…`);
		const filled = mode === 'copied'
			? await copyRows(db, source, tables, perTable)
			: await generateRows(db, tables, foreignKeys(postEntries), table => {
					// No more rows than the target has: a lookup table of 12 rows stays small.
					const estimate = production(table);
					return estimate === null ? perTable : Math.min(perTable, Math.ceil(estimate));
				});
		progress('Adding foreign keys, indexes and triggers…');
		const loadedRest = await loadEntries(db, postEntries.filter(entry => !makesKeys(entry)));
		await advanceSequences(db);
		if (mode === 'generated' && hasState) await refillStartedBackfills(db);
		progress('Analyzing the copy…');
		await db.query('ANALYZE');
		const loads = [loadedPre, loadedKeys, loadedState, loadedRest];
		return {
			db,
			report: {
				source: source.label,
				serverVersion: source.serverVersion,
				reader: `pg_dump ${pgDump.version}`,
				rows: {mode, perTable},
				objects: loads.reduce((sum, load) => sum + load.loaded, 0),
				roles: placeholders,
				extensions: Object.keys(extensions),
				state: hasState,
				tables: filled.map(table => ({...table, production: production(table)})),
				skipped: loads.flatMap(load => load.skipped),
				notValid: loads.flatMap(load => load.notValid),
			},
		};
	} catch (error) {
		await db?.close().catch(() => {});
		throw error;
	} finally {
		await source.close();
	}
}
