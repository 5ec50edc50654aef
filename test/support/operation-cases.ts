import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {runChecks} from '../../source/core/checks.js';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {prepareOperations} from '../../source/core/operations/index.js';
import {validateFragments} from '../../source/core/validate.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Plan} from '../../source/core/plan.js';
import type {Database, Queryable, Session} from '../../source/db/database.js';
import {backends, expectExactRollbackAtEveryStep, openTarget, plan, resetSchema, snapshot, type Target} from './exact.js';

/** The two application versions while a migration is started, as real ones connect. */
export interface Versions {
	db: Database;
	/** The old application: the base schema on its search_path. */
	v1: Queryable;
	/** The new application: the migration's version schema on its search_path. */
	v2: Queryable;
	plan: Plan;
}

/**
 * One case in the shape of pgroll's operation tests: the schema the case starts from, the
 * operations, what each version must see after start, and what the database holds after
 * complete. Every case is also rolled back after start, and failed at every step, and each time
 * found exactly as before: the whole schema from the catalog, pg_dump on a server, every row
 * (so afterStart deletes the rows it writes).
 */
export interface OperationCase {
	name: string;
	setup: string;
	operations: Array<Record<string, unknown>>;
	afterStart(versions: Versions): Promise<void>;
	afterComplete(versions: Omit<Versions, 'v1'>): Promise<void>;
}

async function withVersions<T>(db: Database, versionSchema: string, use: (v1: Session, v2: Session) => Promise<T>): Promise<T> {
	const v1 = await db.session({schema: 'public'});
	const v2 = await db.session({schema: versionSchema});
	try {
		return await use(v1, v2);
	} finally {
		await v1.release();
		await v2.release();
	}
}

/** Compile as `run` does: expressions proved, and the rows checked for what contract would find. */
async function prepared(db: Database, file: ReturnType<typeof plan>): Promise<Plan> {
	await prepareOperations(file);
	const compiled = compilePlan(file, await readCatalog(db));
	await validateFragments(db, compiled.fragments);
	await runChecks(db, compiled.checks);
	return compiled.plan;
}

export function describeOperation(kind: string, cases: OperationCase[]) {
	describe.each(backends())(`${kind} (%s)`, backend => {
		let target: Target & {close(): Promise<void>};
		beforeAll(async () => {
			target = await openTarget(backend);
		});
		afterAll(async () => target.close());

		for (const c of cases) {
			const file = () => plan({id: 'OP', operations: c.operations});

			it(`${c.name}: after start each version sees its own shape; rolled back, the database is exactly as before`, async () => {
				await resetSchema(target.db, c.setup);
				const before = await snapshot(target);
				const executor = await Executor.open(target.db, await prepared(target.db, file()));
				const started = await executor.run('CONTRACTING');
				await withVersions(target.db, executor.plan.versionSchema, async (v1, v2) => c.afterStart({db: target.db, v1, v2, plan: executor.plan}));
				// A plan with nothing to contract is complete once started: its rollbacks are proved by failing each step (below).
				if (started.outcome === 'complete') return;
				expect(started.outcome).toBe('executed');
				await executor.rollback();
				expect(executor.plan.phase).toBe('ROLLED_BACK');
				const after = await snapshot(target);
				expect(after.schema).toEqual(before.schema);
				expect(after.dump).toBe(before.dump);
				expect(after.rows).toEqual(before.rows);
			});

			it(`${c.name}: after complete`, async () => {
				await resetSchema(target.db, c.setup);
				const executor = await Executor.open(target.db, await prepared(target.db, file()));
				expect(await executor.run()).toEqual({outcome: 'complete'});
				const v2 = await target.db.session({schema: executor.plan.versionSchema});
				try {
					await c.afterComplete({db: target.db, v2, plan: executor.plan});
				} finally {
					await v2.release();
				}
			});

			it(`${c.name}: a failure at every step rolls back exactly`, async () => {
				await expectExactRollbackAtEveryStep(target, file(), c.setup);
			});
		}
	});
}

/** The rows of a query as plain objects, numbers as numbers. */
export async function rowsOf(db: Queryable, sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
	return (await db.query<Record<string, unknown>>(sql, params)).rows.map(row => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'bigint' ? Number(value) : value])));
}

/** The columns of a relation (table or view) on the session's search_path, in order. */
export async function columnsOf(db: Queryable, relation: string): Promise<string[]> {
	const {rows} = await db.query<{name: string}>(
		`SELECT a.attname AS name FROM pg_attribute a WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
		[relation],
	);
	return rows.map(row => row.name);
}

/** Whether a relation of that name is visible on the session's search_path. */
export async function sees(db: Queryable, relation: string): Promise<boolean> {
	const {rows} = await db.query<{found: boolean}>('SELECT to_regclass(quote_ident($1)) IS NOT NULL AS found', [relation]);
	return rows[0]!.found;
}

/** The query fails with a message matching `error`. */
export async function refuses(db: Queryable, sql: string, error: RegExp): Promise<void> {
	await expect(db.query(sql)).rejects.toThrow(error);
}
