import {readdirSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {preparePlan, refuseOnLintErrors} from '../../source/commands/prepare.js';
import {Executor} from '../../source/core/executor.js';
import {operationKinds} from '../../source/core/plan-file.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {leftovers} from '../../source/db/catalog.js';
import {pgDumpDatabase} from '../support/pg-dump.js';
import {backends, openTarget, resetSchema, rowHashes, schemaLines, type Target} from '../support/exact.js';
import {hasPgDump} from '../support/pg-dump.js';

/**
 * samples/pgroll/: pgroll-style migration files (no name: each is named after its file) that
 * together use every operation, run in order from an empty database with default flags. Each
 * one is started and rolled back first, and must leave the database exactly as it found it —
 * every schema but zdm's own by pg_dump on a server, the public schema from the catalog, every
 * row — before it is run to complete.
 */
const dir = 'samples/pgroll';
const chain = readdirSync(dir)
	.filter(name => /\.(ya?ml|json)$/.test(name))
	.sort();

async function state(target: Target) {
	return {schema: await schemaLines(target.db), rows: await rowHashes(target.db), ...(target.url && hasPgDump() ? {dump: await pgDumpDatabase(target.url)} : {})};
}

it('the chain uses every operation there is', () => {
	const used = new Set(chain.flatMap(name => readPlanFile(`${dir}/${name}`).operations.map(op => op.kind)));
	expect([...operationKinds].filter(kind => !used.has(kind))).toEqual([]);
});

describe.each(backends())('samples/pgroll on %s, in order from an empty database', backend => {
	let target: Target & {close(): Promise<void>};
	beforeAll(async () => {
		target = await openTarget(backend);
		await resetSchema(target.db, '');
	});
	afterAll(async () => target.close());

	for (const [index, name] of chain.entries()) {
		it(`${name}: started and rolled back exactly, then run to complete`, async () => {
			const path = `${dir}/${name}`;
			const before = await state(target);
			const prepared = await preparePlan(target.db, path);
			// pgroll's files run with default flags: no lint error to acknowledge.
			refuseOnLintErrors(path, prepared.findings);
			expect(prepared.plan.id).toBe(name.replace(/\.ya?ml$/, ''));
			const hasContract = prepared.plan.steps.some(step => step.phase === 'CONTRACTING');
			// Start, then roll back; a plan with nothing to contract is complete once started, so it fails at its last step instead.
			const first = await Executor.open(target.db, prepared.plan, {batchSize: 3, ...(hasContract ? {} : {failAt: prepared.plan.steps.length})});
			const started = await first.run(hasContract ? 'CONTRACTING' : undefined);
			if (hasContract) {
				expect(started.outcome).toBe('executed');
				await first.rollback();
			} else {
				expect(started.outcome).toBe('rolled-back');
			}

			expect(first.plan.phase).toBe('ROLLED_BACK');
			const after = await state(target);
			expect(after.schema).toEqual(before.schema);
			expect(after.rows).toEqual(before.rows);
			expect(after.dump).toBe(before.dump);

			const again = await Executor.open(target.db, (await preparePlan(target.db, path)).plan, {batchSize: 3});
			expect(await again.run()).toEqual({outcome: 'complete'});
			expect(await leftovers(target.db)).toEqual([]);
			// The application writes through its version schema between migrations, so each one has rows to carry.
			if (index === 0) {
				const v2 = await target.db.session({schema: again.plan.versionSchema});
				try {
					await v2.query("INSERT INTO customers (name, credit_card) SELECT 'customer ' || g, CASE WHEN g % 2 = 0 THEN '4242' END FROM generate_series(1, 20) g");
					await v2.query('INSERT INTO orders (customer_id, total, quantity, note) SELECT g, g * 1.5, g % 3 + 1, CASE WHEN g % 4 = 0 THEN NULL ELSE repeat(\'n\', g) END FROM generate_series(1, 20) g');
					await v2.query("INSERT INTO audit_log (line) SELECT 'event ' || g FROM generate_series(1, 20) g");
				} finally {
					await v2.release();
				}
			}
		});
	}

	it('ends with the shop as the last version sees it', async () => {
		const v16 = await target.db.session({schema: 'shop_v16'});
		try {
			const {rows} = await v16.query<{n: number}>('SELECT count(*)::int AS n FROM orders');
			expect(rows).toEqual([{n: 20}]);
			// Raw SQL on complete ran after the version schema was made: the table has the column, the view does not (as in pgroll).
			const {rows: shipped} = await target.db.query<{n: number}>('SELECT count(shipped_at)::int AS n FROM public.orders');
			expect(shipped).toEqual([{n: 0}]);
			const {rows: clients} = await v16.query<{email: string}>("SELECT email FROM clients WHERE name = 'customer 3'");
			expect(clients).toEqual([{email: 'customer 3@example.com'}]);
		} finally {
			await v16.release();
		}
	});
});
