import {expect} from 'vitest';
import {compilePlanWithParser} from '../../source/core/compile.js';
import {Executor, type ExecutorOptions, type StepOutcome} from '../../source/core/executor.js';
import {validatePlan, type PlanFile} from '../../source/core/plan-file.js';
import type {Plan} from '../../source/core/plan.js';
import {validateFragments} from '../../source/core/validate.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database, Queryable} from '../../source/db/database.js';
import {ident} from '../../source/core/sql.js';
import {hasPgDump, pgDumpSchema} from '../reliability/support.js';
import {backends, openBackend, type Backend} from './databases.js';
import {resetMigrationsSql} from './reset.js';

/**
 * The proofs of "exactly as before" for whole plans, on PGlite and on the server alike: the
 * whole schema as the catalog describes it (every table, column, constraint, index, trigger,
 * function, view and comment, not only one table's), on a server also as pg_dump prints it, and
 * a hash of every table's rows. zdm's own state schema is left out: it records the history.
 */

/** Every object of the schema as sorted lines of text, from the catalog (PGlite has no pg_dump). */
export async function schemaLines(db: Queryable, schema = 'public'): Promise<string[]> {
	const {rows} = await db.query<{line: string}>(
		`WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1)
		 SELECT format('relation %s kind %s', c.relname, c.relkind) AS line FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns)
		 UNION ALL
		 SELECT format('column %s #%s %s %s%s%s%s', c.relname, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname, format_type(a.atttypid, a.atttypmod),
		        CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''), COALESCE(' COMMENT ' || col_description(c.oid, a.attnum), ''))
		   FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		   LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
		  WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v')
		 UNION ALL
		 SELECT format('constraint %s on %s: %s%s', con.conname, c.relname, pg_get_constraintdef(con.oid), CASE WHEN con.convalidated THEN '' ELSE ' NOT VALID' END)
		   FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid WHERE c.relnamespace = (SELECT oid FROM ns)
		 UNION ALL
		 SELECT format('index %s%s', pg_get_indexdef(i.indexrelid), CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END)
		   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = (SELECT oid FROM ns)
		 UNION ALL
		 SELECT format('trigger %s enabled %s', pg_get_triggerdef(t.oid), t.tgenabled)
		   FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = (SELECT oid FROM ns) AND NOT t.tgisinternal
		 UNION ALL
		 SELECT format('function %s', pg_get_functiondef(p.oid)) FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns) AND p.prokind IN ('f', 'p')
		 UNION ALL
		 SELECT format('view %s: %s', c.relname, pg_get_viewdef(c.oid)) FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('v', 'm')
		 UNION ALL
		 SELECT format('comment on %s: %s', c.relname, obj_description(c.oid, 'pg_class')) FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND obj_description(c.oid, 'pg_class') IS NOT NULL`,
		[schema],
	);
	return rows.map(row => row.line).sort();
}

/** "table: count:md5" for every table of the schema, rows in a stable order. */
export async function rowHashes(db: Queryable, schema = 'public'): Promise<string[]> {
	const {rows: tables} = await db.query<{name: string}>("SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1", [schema]);
	const hashes: string[] = [];
	for (const {name} of tables) {
		const {rows} = await db.query<{hash: string | null; count: number | string}>(`SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS hash, count(*) AS count FROM ${ident(schema)}.${ident(name)} t`);
		hashes.push(`${name}: ${rows[0]!.count}:${rows[0]!.hash ?? ''}`);
	}

	return hashes;
}

export interface Target {
	backend: Backend;
	db: Database;
	/** The server database's URL (pg_dump reads it); undefined on PGlite. */
	url?: string;
}

export interface Snapshot {
	schema: string[];
	rows: string[];
	/** pg_dump --schema-only -n public, on a server. */
	dump?: string;
}

export async function snapshot(target: Target): Promise<Snapshot> {
	return {
		schema: await schemaLines(target.db),
		rows: await rowHashes(target.db),
		...(target.url && hasPgDump() ? {dump: await pgDumpSchema(target.url)} : {}),
	};
}

/** A fresh public schema (and no zdm state, no version schema) made by `setup`. */
export async function resetSchema(db: Database, setup: string): Promise<void> {
	// zdm's state and every version schema go too: a plan compiled again would find its own.
	await db.query(resetMigrationsSql);
	await db.script(`DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;\n${setup}`);
}

export const plan = (document: Record<string, unknown>): PlanFile => validatePlan(document, 'test plan');

/** Compile against the database as it is now, and prove the plan's expressions, as `run` does. */
export async function compileOn(db: Database, file: PlanFile): Promise<Plan> {
	const compiled = await compilePlanWithParser(file, await readCatalog(db));
	await validateFragments(db, compiled.fragments);
	return compiled.plan;
}

/** Open every backend once for a describe block: `each(target => …)` inside describe.each. */
export const targets = () => backends();

export async function openTarget(backend: Backend): Promise<Target & {close(): Promise<void>}> {
	const opened = await openBackend(backend, 0);
	return {backend, db: opened.db, url: opened.url, close: opened.close};
}

const small: ExecutorOptions = {batchSize: 7, lock: {lockTimeoutMs: 200}};

/**
 * For every step of the plan: reset, fail there (--fail-at), and find the schema, pg_dump and
 * every table's rows exactly as before. Returns the number of steps.
 */
export async function expectExactRollbackAtEveryStep(target: Target, file: PlanFile, setup: string, options: ExecutorOptions = {}): Promise<number> {
	await resetSchema(target.db, setup);
	const before = await snapshot(target);
	const steps = (await compileOn(target.db, file)).steps.length;
	expect(steps).toBeGreaterThan(0);
	for (let failAt = 1; failAt <= steps; failAt++) {
		const executor = await Executor.open(target.db, await compileOn(target.db, file), {...small, ...options, failAt});
		const outcome: StepOutcome = await executor.run();
		expect(outcome, `fail at ${failAt}`).toMatchObject({outcome: 'rolled-back', step: {number: failAt}});
		expect(executor.plan.phase).toBe('ROLLED_BACK');
		const after = await snapshot(target);
		expect(after.schema, `schema after failing at step ${failAt} of ${steps}`).toEqual(before.schema);
		expect(after.dump, `pg_dump after failing at step ${failAt} of ${steps}`).toBe(before.dump);
		expect(after.rows, `rows after failing at step ${failAt} of ${steps}`).toEqual(before.rows);
	}

	return steps;
}

/** Reset, then run the plan to COMPLETE in process. */
export async function runToComplete(target: Target, file: PlanFile, setup: string, options: ExecutorOptions = {}): Promise<Executor> {
	await resetSchema(target.db, setup);
	const executor = await Executor.open(target.db, await compileOn(target.db, file), {...small, ...options});
	expect(await executor.run()).toEqual({outcome: 'complete'});
	expect(executor.plan.phase).toBe('COMPLETE');
	return executor;
}

export {backends};
