import {escapeIdentifier} from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {ZdmError} from '../../source/core/errors.js';
import {Executor} from '../../source/core/executor.js';
import type {ExecutorEvent} from '../../source/core/events.js';
import {lint} from '../../source/core/lint/index.js';
import {canTransition} from '../../source/core/phase.js';
import {parsePlanText, validatePlan, type PlanFile} from '../../source/core/plan-file.js';
import {progressPct} from '../../source/core/plan.js';
import {ident} from '../../source/core/sql.js';
import {readCatalog, tableDefinition, tableHash} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {readHistory} from '../../source/db/state.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {resetMigrations} from '../support/reset.js';

const addDisplayName = (overrides: Record<string, unknown> = {}) =>
	validatePlan({id: 'MIG-001', title: 'Add display_name', operations: [{add_column: {table: 'users', column: {name: 'display_name', type: 'text', nullable: false, default: "''"}, up: 'initcap(username)', ...overrides}}]});

describe('the lab, made real (PGlite)', () => {
	let db: Database;
	beforeAll(async () => {
		db = await openPglite();
	});
	afterAll(async () => db.close());

	async function fresh(rows = 50) {
		await resetMigrations(db);
		await db.query('DROP TABLE IF EXISTS users CASCADE');
		await seedUsers(db, {rows});
	}

	const compile = async (file: PlanFile) => compilePlan(file, await readCatalog(db)).plan;

	it('seeds alice and bob first', async () => {
		await fresh(3);
		const {rows} = await db.query<{username: string; email: string}>('SELECT username, email FROM users ORDER BY id');
		expect(rows.slice(0, 2)).toEqual([
			{username: 'alice', email: 'alice@example.com'},
			{username: 'bob', email: 'bob@example.com'},
		]);
		expect(rows).toHaveLength(5);
		await expect(seedUsers(db, {rows: 1})).rejects.toThrow(/already exists.*|--force/);
	});

	it('runs MIG-001 for real: display_name is initcap(username), NOT NULL, with its default', async () => {
		await fresh();
		const executor = await Executor.open(db, await compile(addDisplayName()));
		expect(progressPct(executor.plan)).toBe(0);
		await executor.run();
		expect(executor.plan.phase).toBe('COMPLETE');
		expect(progressPct(executor.plan)).toBe(100);
		const {rows} = await db.query<{username: string; display_name: string}>('SELECT username, display_name FROM users ORDER BY id LIMIT 2');
		expect(rows).toEqual([
			{username: 'alice', display_name: 'Alice'},
			{username: 'bob', display_name: 'Bob'},
		]);
		const {rows: nulls} = await db.query<{n: number}>('SELECT count(*)::int AS n FROM users WHERE display_name IS NULL');
		expect(nulls[0]!.n).toBe(0);
		const definition = await tableDefinition(db, 'users');
		expect(definition).toContain(`column display_name text NOT NULL DEFAULT ''::text`);
		await db.query("INSERT INTO users (username) VALUES ('carol')");
		const carol = await db.query<{display_name: string}>("SELECT display_name FROM users WHERE username = 'carol'");
		expect(carol.rows[0]!.display_name).toBe('');
	});

	it('fills the new column for rows the old application writes during the migration', async () => {
		await fresh();
		const executor = await Executor.open(db, await compile(addDisplayName()));
		await executor.step();
		await executor.step();
		await db.query("INSERT INTO users (username, email) VALUES ('dave', 'dave@example.com')");
		const {rows} = await db.query<{display_name: string}>("SELECT display_name FROM users WHERE username = 'dave'");
		expect(rows[0]!.display_name).toBe('Dave');
		await executor.run();
	});

	it('step() runs exactly one step, with progress as executed over all steps', async () => {
		await fresh();
		const executor = await Executor.open(db, await compile(addDisplayName()));
		const total = executor.plan.steps.length;
		for (let done = 1; done <= total; done++) {
			const result = await executor.step();
			expect(result.outcome).toBe('executed');
			expect(executor.plan.steps.filter(step => step.status === 'executed')).toHaveLength(done);
			expect(progressPct(executor.plan)).toBeCloseTo((done / total) * 100);
		}

		expect(executor.plan.phase).toBe('COMPLETE');
		expect((await executor.step()).outcome).toBe('complete');
	});

	it('moves through the phases in order and logs a history with timestamps and durations', async () => {
		await fresh();
		const executor = await Executor.open(db, await compile(addDisplayName()));
		const phases: string[] = [];
		executor.on(event => {
			if (event.type === 'phase') phases.push(event.phase);
		});
		await executor.run();
		expect(phases).toEqual(['EXPANDING', 'MIGRATING', 'CONTRACTING', 'COMPLETE']);
		const history = await readHistory(db, 'MIG-001');
		// Add the column, its trigger, the version schema; backfill; verify, NOT VALID, VALIDATE, finish: one entry per step, in order.
		expect(executor.plan.steps.map(step => step.kind)).toContain('verify');
		expect(history.map(entry => entry.phase)).toEqual([...executor.plan.steps.map(step => step.phase), 'COMPLETE']);
		expect(history.at(-1)!.message).toBe('Migration finished successfully');
		for (const entry of history.slice(0, -1)) expect(entry.durationMs).toBeGreaterThanOrEqual(0);
		expect(new Date(history[0]!.at).getTime()).toBeLessThanOrEqual(new Date(history.at(-1)!.at).getTime());
	});

	it('rolls back in reverse order on a failure, ending ROLLED_BACK with the table as before', async () => {
		await fresh();
		const before = [await tableDefinition(db, 'users'), await tableHash(db, 'users')];
		const executor = await Executor.open(db, await compile(addDisplayName()), {failAt: 5});
		const events: ExecutorEvent[] = [];
		executor.on(event => events.push(event));
		const result = await executor.run();
		expect(result.outcome).toBe('rolled-back');
		const rolledBack = events.flatMap(event => (event.type === 'step-rolled-back' ? [event.step.number] : []));
		expect(rolledBack).toEqual([4, 3, 2, 1]);
		expect(executor.plan.phase).toBe('ROLLED_BACK');
		expect(progressPct(executor.plan)).toBe(0);
		expect([await tableDefinition(db, 'users'), await tableHash(db, 'users')]).toEqual(before);
		const history = await readHistory(db, 'MIG-001');
		expect(history.filter(entry => entry.phase === 'ROLLBACK')).toHaveLength(4);
		expect(history.at(-1)!.phase).toBe('ROLLED_BACK');
	});

	it('a ROLLED_BACK migration may be run again, to COMPLETE', async () => {
		await fresh();
		const first = await Executor.open(db, await compile(addDisplayName()), {failAt: 3});
		await first.run();
		expect(first.plan.phase).toBe('ROLLED_BACK');
		const again = await Executor.open(db, await compile(addDisplayName()));
		expect(again.plan.steps.every(step => step.status === 'pending')).toBe(true);
		await again.run();
		expect(again.plan.phase).toBe('COMPLETE');
	});

	it('a started migration resumes from its stored steps', async () => {
		await fresh();
		const first = await Executor.open(db, await compile(addDisplayName()));
		await first.run('CONTRACTING');
		expect(first.plan.phase).toBe('MIGRATING');
		// Compiling again now would see display_name already there; resume must not need it.
		const resumed = await Executor.resume(db, 'MIG-001');
		expect(resumed.plan.steps.map(step => step.status)).toEqual(resumed.plan.steps.map(step => (step.phase === 'CONTRACTING' ? 'pending' : 'executed')));
		expect(resumed.plan.steps.filter(step => step.status === 'pending').length).toBeGreaterThan(0);
		await resumed.run();
		expect(resumed.plan.phase).toBe('COMPLETE');
	});

	it('refuses a second active migration, naming the one that holds the database', async () => {
		await fresh();
		const first = await Executor.open(db, await compile(addDisplayName()));
		await first.step();
		const other = validatePlan({id: 'MIG-009', operations: [{create_index: {table: 'users', name: 'users_username_idx', columns: ['username']}}]});
		const refused = await Executor.open(db, await compile(other)).catch((error: unknown) => error);
		expect(refused).toBeInstanceOf(ZdmError);
		expect((refused as ZdmError).exitCode).toBe(3);
		expect((refused as ZdmError).message).toContain('MIG-001');
		await first.rollback();
		expect(first.plan.phase).toBe('ROLLED_BACK');
	});

	it('an explicit rollback after start restores the table; a COMPLETE migration refuses rollback', async () => {
		await fresh();
		const before = [await tableDefinition(db, 'users'), await tableHash(db, 'users')];
		const executor = await Executor.open(db, await compile(validatePlan({id: 'MIG-002', operations: [{rename_column: {table: 'users', from: 'email', to: 'contact_email'}}]})));
		await executor.run('CONTRACTING');
		await executor.rollback();
		expect([await tableDefinition(db, 'users'), await tableHash(db, 'users')]).toEqual(before);
		const done = await Executor.open(db, await compile(addDisplayName()));
		await done.run();
		const refused = await done.rollback().catch((error: unknown) => error);
		expect(refused).toBeInstanceOf(ZdmError);
		expect((refused as ZdmError).message).toMatch(/COMPLETE and cannot be rolled back/);
	});

	it('adding a column that exists, or dropping one that does not, is a clear error before anything runs', async () => {
		await fresh();
		const exists = validatePlan({id: 'X', operations: [{add_column: {table: 'users', column: {name: 'email', type: 'text', nullable: true}}}]});
		await expect(compile(exists)).rejects.toThrow('operations[0].add_column.column.name: column "email" already exists in "users"');
		const missing = validatePlan({id: 'X', operations: [{drop_column: {table: 'users', column: 'nickname', down: "''"}}]});
		await expect(compile(missing)).rejects.toThrow('operations[0].drop_column.column: column "nickname" does not exist in "users"');
		const noTable = validatePlan({id: 'X', operations: [{rename_column: {table: 'people', from: 'a', to: 'b'}}]});
		await expect(compile(noTable)).rejects.toThrow('table "people" does not exist');
	});

	it('refuses a required column with neither default nor up', async () => {
		await fresh();
		const required = validatePlan({id: 'X', operations: [{add_column: {table: 'users', column: {name: 'age', type: 'int'}}}]});
		const error = await compile(required).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ZdmError);
		expect((error as ZdmError).exitCode).toBe(2);
		expect((error as ZdmError).message).toMatch(/NOT NULL but has neither a default nor "up"/);
	});

	it('lints the lab warnings: contract without expand, many steps', async () => {
		await fresh();
		const contractOnly = validatePlan({id: 'X', operations: [{drop_column: {table: 'users', column: 'email'}}]});
		const findings = lint({file: contractOnly, plan: await compile(contractOnly)});
		expect(findings).toContainEqual(expect.objectContaining({rule: 'contract-without-expand', severity: 'error', message: 'contract without expand — data loss risk'}));
		const safe = lint({file: addDisplayName(), plan: await compile(addDisplayName())});
		expect(safe.filter(finding => finding.severity === 'error')).toEqual([]);
		const many = validatePlan({id: 'X', operations: ['a', 'b', 'c'].map(name => ({add_column: {table: 'users', column: {name, type: 'text', nullable: false}, up: "'x'"}}))});
		expect(lint({file: many, plan: await compile(many)}).map(finding => finding.rule)).toContain('too-many-steps');
		expect(lint({file: contractOnly, plan: await compile(contractOnly)}, ['contract-without-expand']).every(finding => finding.severity === 'warning')).toBe(true);
	});

	it('refuses an up expression that smuggles a second statement, and changes nothing', async () => {
		await fresh();
		const before = await tableDefinition(db, 'users');
		const {validateFragments} = await import('../../source/core/validate.js');
		const hostile = validatePlan({id: 'X', operations: [{add_column: {table: 'users', column: {name: 'x', type: 'text', nullable: true}, up: "1); DROP TABLE users; SELECT (1"}}]});
		const compiled = compilePlan(hostile, await readCatalog(db));
		await expect(validateFragments(db, compiled.fragments)).rejects.toThrow(/operations\[0\]\.add_column\.up/);
		expect(await tableDefinition(db, 'users')).toBe(before);
	});
});

describe('domain rules without a database', () => {
	it('quotes identifiers exactly as node-postgres does', () => {
		for (const name of ['users', 'Mixed Case', 'semi;colon', 'quo"te', 'ünï', '"; DROP TABLE users; --']) expect(ident(name)).toBe(escapeIdentifier(name));
	});

	it('allows only forward phase transitions, or rollback before COMPLETE', () => {
		expect(canTransition('PENDING', 'EXPANDING')).toBe(true);
		expect(canTransition('MIGRATING', 'EXPANDING')).toBe(false);
		expect(canTransition('CONTRACTING', 'ROLLED_BACK')).toBe(true);
		expect(canTransition('COMPLETE', 'ROLLED_BACK')).toBe(false);
	});

	it('names the file, the field path and what was expected in plan errors', () => {
		const attempt = (document: unknown, source = 'bad.yaml') => {
			try {
				validatePlan(document, source);
			} catch (error) {
				return (error as ZdmError).oneLine();
			}

			return 'no error';
		};

		expect(attempt({id: 'A', operations: [{add_column: {table: 'users', column: {name: 'x', type: 5}}}]})).toMatch(/^bad\.yaml: operations\[0\]\.add_column\.column\.type: .*expected string/i);
		expect(attempt({id: 'A', operations: [{frobnicate: {}}]})).toMatch(/^bad\.yaml: operations\[0\]: unknown operation "frobnicate" — use one of create_table, .*\badd_column\b/);
		expect(attempt({operations: []})).toMatch(/^bad\.yaml: operations: expected a non-empty list/);
		expect(attempt({operations: [{sql: {up: 'select 1'}}]}, 'bad name.yaml')).toMatch(/^bad name\.yaml: name: expected an id .*found the file name "bad name"/);
		expect(attempt({operations: [{sql: {up: 'select 1'}}]}, 'plan')).toMatch(/^plan: name: expected an id .*found undefined/);
		expect(attempt({id: 'A', operations: []})).toMatch(/operations: expected a non-empty list/);
		expect(attempt({id: 'A', operations: [{sql: {up: 'select 1', extra: true}}]})).toMatch(/operations\[0\]\.sql: .*extra/i);
	});

	it('accepts pgroll field names: name for the id', () => {
		const file = validatePlan({name: '01_add', operations: [{create_index: {table: 'users', name: 'i', columns: ['email']}}]});
		expect(file.id).toBe('01_add');
	});

	it('takes a plan\'s id from its file name when it names none, as pgroll does', () => {
		const operations = [{create_index: {table: 'users', name: 'i', columns: ['email']}}];
		expect(validatePlan({operations}, 'migrations/002_index.yaml').id).toBe('002_index');
		expect(validatePlan({id: 'MIG-9', operations}, 'migrations/002_index.yaml').id).toBe('MIG-9');
	});

	it('names a plan without name or id after its file, as pgroll does, in YAML and JSON alike', () => {
		const operations = [{sql: {up: 'SELECT 1', down: 'SELECT 1'}}];
		expect(validatePlan({operations}, 'migrations/03_add_column.yaml').id).toBe('03_add_column');
		expect(parsePlanText(JSON.stringify({operations}), 'x/04_rename.json').id).toBe('04_rename');
		expect(parsePlanText('operations:\n  - sql:\n      up: SELECT 1\n      down: SELECT 1\n', '05_sql.yml').id).toBe('05_sql');
		expect(validatePlan({name: 'given', operations}, '06_other.yaml').id).toBe('given');
	});
});

describe('the old application keeps the new column right (PGlite)', () => {
	it('an UPDATE by the old version recomputes display_name from up; a value the new version sets survives its later UPDATEs', async () => {
		const db = await openPglite();
		try {
			await seedUsers(db, {rows: 5});
			const executor = await Executor.open(db, compilePlan(addDisplayName(), await readCatalog(db)).plan);
			await executor.run('CONTRACTING');
			const v2 = await db.session({schema: executor.plan.versionSchema});
			await db.query("UPDATE users SET username = 'zed' WHERE id = 3");
			await v2.query("UPDATE users SET display_name = 'Custom' WHERE id = 4");
			await v2.query("UPDATE users SET username = 'yan' WHERE id = 4");
			const {rows} = await db.query<{id: number; display_name: string}>('SELECT id::int, display_name FROM users WHERE id IN (3, 4) ORDER BY id');
			expect(rows).toEqual([
				{id: 3, display_name: 'Zed'},
				{id: 4, display_name: 'Custom'},
			]);
			await executor.run();
			expect(executor.plan.phase).toBe('COMPLETE');
		} finally {
			await db.close();
		}
	});
});
