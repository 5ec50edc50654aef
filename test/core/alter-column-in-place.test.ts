import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Executor} from '../../source/core/executor.js';
import {loadMigration} from '../../source/db/state.js';
import {backends, compileOn, expectExactRollbackAtEveryStep, openTarget, plan, resetSchema, runToComplete, schemaLines, snapshot, type Target} from '../support/exact.js';

/**
 * alter_column's in-place changes (SET DEFAULT, DROP DEFAULT, DROP NOT NULL), with an add_column
 * after them so their rollbacks run: COMPLETE, a failure at every step, and the one rollback that
 * can meet data it cannot restore: SET NOT NULL after the application wrote NULLs meanwhile.
 */

const setup = `CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL, email text DEFAULT 'none', score int);
INSERT INTO users (username, email, score) SELECT 'User' || g, 'user' || g || '@example.com', g FROM generate_series(1, 40) g;`;

const inPlace = plan({
	id: 'MIG-ALTER',
	operations: [
		{alter_column: {table: 'users', column: 'username', nullable: true}},
		{alter_column: {table: 'users', column: 'email', default: null}},
		{alter_column: {table: 'users', column: 'score', default: '0'}},
		{add_column: {table: 'users', column: {name: 'nickname', type: 'text', nullable: true}, up: "lower(coalesce(username, 'anonymous'))"}},
	],
});

describe.each(backends())('alter_column in place on %s', backend => {
	let target: Target & {close(): Promise<void>};
	beforeAll(async () => {
		target = await openTarget(backend);
	});
	afterAll(async () => target?.close());

	const columns = async () =>
		(
			await target.db.query<{name: string; not_null: boolean; default: string | null}>(
				"SELECT attname AS name, attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE attrelid = 'users'::regclass AND attnum > 1 AND NOT attisdropped ORDER BY attnum",
			)
		).rows;

	it('COMPLETE: username takes NULLs, email has no default, score defaults to 0, rows untouched', async () => {
		await resetSchema(target.db, setup);
		const rowsBefore = (await target.db.query<{hash: string}>('SELECT md5(string_agg(id || username || email || score, \',\' ORDER BY id)) AS hash FROM users')).rows[0]!.hash;
		await runToComplete(target, inPlace, setup);
		expect(await columns()).toEqual([
			{name: 'username', not_null: false, default: null},
			{name: 'email', not_null: false, default: null},
			{name: 'score', not_null: false, default: '0'},
			{name: 'nickname', not_null: false, default: null},
		]);
		expect((await target.db.query<{hash: string}>('SELECT md5(string_agg(id || username || email || score, \',\' ORDER BY id)) AS hash FROM users')).rows[0]!.hash).toBe(rowsBefore);
		await target.db.query('INSERT INTO users (id) VALUES (1000)');
		const {rows} = await target.db.query('SELECT username, email, score, nickname FROM users WHERE id = 1000');
		// nickname's trigger went at contract: after COMPLETE nothing fills it.
		expect(rows[0]).toEqual({username: null, email: null, score: 0, nickname: null});
	});

	it('a failure at every step rolls back exactly: NOT NULL and both defaults as they were', async () => {
		expect(await expectExactRollbackAtEveryStep(target, inPlace, setup)).toBeGreaterThanOrEqual(4);
	});

	it('NULLs written after DROP NOT NULL stop the rollback at SET NOT NULL, state saved; fixed, the rollback finishes exactly', async () => {
		await resetSchema(target.db, setup);
		const original = await schemaLines(target.db);
		const compiled = await compileOn(target.db, inPlace);
		const dropNotNull = compiled.steps.find(step => step.forward.some(sql => /DROP NOT NULL/.test(sql)))!;
		const executor = await Executor.open(target.db, compiled, {batchSize: 7, failAt: compiled.steps.length});
		while (executor.plan.steps[dropNotNull.number - 1]!.status !== 'executed') await executor.step();
		// The new application writes a user without a name.
		await target.db.query("INSERT INTO users (id, email) VALUES (1000, 'nameless@example.com')");
		const nullable = await snapshot(target);

		const stopped = await executor.run().catch((error: unknown) => error);
		expect(String((stopped as Error).message)).toMatch(/column "username" of relation "users" contains null values/);
		// Every step after the in-place one is undone; the in-place one stands, and the NULL with it.
		expect(await snapshot(target)).toEqual(nullable);
		const stored = (await loadMigration(target.db, 'MIG-ALTER'))!;
		expect(stored.phase).not.toMatch(/ROLLED_BACK|COMPLETE/);
		expect(stored.steps.filter(step => step.status === 'executed').map(step => step.number)).toEqual(compiled.steps.filter(step => step.number <= dropNotNull.number).map(step => step.number));

		await target.db.query("UPDATE users SET username = 'nameless' WHERE username IS NULL");
		const resumed = await Executor.resume(target.db, 'MIG-ALTER');
		expect(resumed.rollingBack).toBe(true);
		await resumed.rollback();
		expect(resumed.plan.phase).toBe('ROLLED_BACK');
		expect(await schemaLines(target.db)).toEqual(original);
		const {rows} = await target.db.query('SELECT username, email FROM users WHERE id = 1000');
		expect(rows[0]).toEqual({username: 'nameless', email: 'nameless@example.com'});
	});
});
