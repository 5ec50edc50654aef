import {readdirSync, readFileSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {parsePlanText} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {lintGenerated, lintOperations, only, ruleIds, sql, type Operation} from './lint-support.js';

const addColumn = (name: string, column: Record<string, unknown> = {}, up: string | undefined = 'initcap(username)'): Operation => ({
	add_column: {table: 'users', column: {name, type: 'text', nullable: false, default: "''", ...column}, ...(up ? {up} : {})},
});

describe('lint rules over the plan and its operations', () => {
	let db: Database;
	beforeAll(async () => {
		db = await openPglite();
		await seedUsers(db, {rows: 10});
		await db.query('CREATE TABLE teams (id bigint PRIMARY KEY, name text)');
	});
	afterAll(async () => db.close());

	const findings = async (rule: string, operations: Operation[]) => only(await lintOperations(db, operations), rule);

	it('no-steps: a plan that changes nothing', async () => {
		expect(await findings('no-steps', [{alter_column: {table: 'users', column: 'email', default: null}}])).toMatchObject([{severity: 'warning'}]);
		expect(await findings('no-steps', [addColumn('nick')])).toEqual([]);
	});

	it('contract-without-expand: a drop with nothing expanded first is an error', async () => {
		const [found] = await findings('contract-without-expand', [{drop_column: {table: 'users', column: 'email'}}]);
		expect(found).toMatchObject({severity: 'error', message: 'contract without expand — data loss risk', operation: 0});
		expect(await findings('contract-without-expand', [{drop_column: {table: 'users', column: 'email', down: "username || '@example.com'"}}])).toEqual([]);
	});

	it('too-many-steps: more than 10 steps', async () => {
		const many = await findings('too-many-steps', ['a', 'b', 'c'].map(name => addColumn(`nick_${name}`)));
		expect(many).toMatchObject([{severity: 'warning', message: expect.stringMatching(/has 1[0-9] steps/)}]);
		expect(await findings('too-many-steps', [addColumn('nick')])).toEqual([]);
	});

	it('sql-without-down: raw sql nothing can undo', async () => {
		expect(await findings('sql-without-down', [{sql: {up: "UPDATE users SET email = lower(email) WHERE id < 10"}}])).toMatchObject([{severity: 'error'}]);
		// Only creating something, it has a provable inverse, which zdm derives.
		expect(await findings('sql-without-down', [{sql: {up: 'CREATE TABLE tags (name text)'}}])).toEqual([]);
		expect(await findings('sql-without-down', [sql('CREATE TABLE tags (name text)', {down: 'DROP TABLE tags'})])).toEqual([]);
	});

	it('not-null-without-default: add_column NOT NULL with no default is a warning', async () => {
		expect(await findings('not-null-without-default', [addColumn('nick', {default: undefined})])).toMatchObject([{severity: 'warning', operation: 0}]);
		expect(await findings('not-null-without-default', [addColumn('nick')])).toEqual([]);
		expect(await findings('not-null-without-default', [addColumn('nick', {default: undefined, nullable: true})])).toEqual([]);
	});

	it('prefer-jsonb: json in add_column and alter_column', async () => {
		expect(await findings('prefer-jsonb', [addColumn('meta', {type: 'json', nullable: true, default: undefined}, undefined)])).toMatchObject([{severity: 'warning'}]);
		expect(await findings('prefer-jsonb', [{alter_column: {table: 'teams', column: 'name', type: 'json', up: 'to_json(name)', down: 'name #>> \'{}\''}}])).toHaveLength(1);
		expect(await findings('prefer-jsonb', [addColumn('meta', {type: 'jsonb', nullable: true, default: undefined}, undefined)])).toEqual([]);
	});

	it('add-column-generated: an add_column of a serial type', async () => {
		// pgroll's way: no up, the sequence numbers the rows (zdm refuses an up beside it).
		expect(await findings('add-column-generated', [addColumn('seq', {type: 'bigserial', default: undefined}, '')])).toMatchObject([{severity: 'error', operation: 0}]);
		expect(await findings('add-column-generated', [addColumn('seq', {type: 'bigint', default: undefined}, 'id')])).toEqual([]);
	});

	it('--allow downgrades a rule\'s errors to warnings and leaves the others', async () => {
		const operations: Operation[] = [{drop_column: {table: 'users', column: 'email'}}, {sql: {up: 'SELECT 1', onComplete: true}}];
		const allowed = await lintOperations(db, operations, ['contract-without-expand']);
		expect(only(allowed, 'contract-without-expand')).toMatchObject([{severity: 'warning'}]);
		expect(only(allowed, 'sql-without-down')).toMatchObject([{severity: 'error'}]);
	});

	// zdm's generated steps are trusted by construction; here they go through the same statement
	// rules, so a change that made one unsafe fails this test.
	it('zdm\'s own generated steps pass every rule, for every operation', async () => {
		const operations: Operation[] = [
			addColumn('display_name'),
			{add_column: {table: 'users', column: {name: 'team_id', type: 'bigint', nullable: true, references: {name: 'users_team_fk', table: 'teams', column: 'id'}, check: {name: 'team_positive', constraint: 'team_id > 0'}}}},
			{add_column: {table: 'users', column: {name: 'handle', type: 'text', nullable: false, unique: true, default: "''"}, up: "username || '_' || id"}},
			{alter_column: {table: 'users', column: 'email', type: 'varchar(320)', nullable: false, up: "coalesce(lower(email), '')", down: 'email'}},
			{rename_column: {table: 'teams', from: 'name', to: 'title'}},
			{create_index: {table: 'users', name: 'users_username_idx', columns: ['username'], unique: true}},
		];
		const found = await lintGenerated(db, operations);
		expect(found.filter(finding => finding.rule !== 'too-many-steps')).toEqual([]);
	});

	it('zdm\'s own generated steps pass every rule for the table, index and constraint operations too', async () => {
		const operations: Operation[] = [
			{create_table: {name: 'badges', columns: [{name: 'id', type: 'bigint', pk: true}, {name: 'team_id', type: 'bigint', references: {name: 'badges_team_fk', table: 'teams', column: 'id'}}, {name: 'label', type: 'text', unique: true}], constraints: [{name: 'badges_label_len', type: 'check', check: 'length(label) < 50'}]}},
			{create_index: {table: 'users', name: 'users_email_lower', columns: {email: {sort: 'DESC', nulls: 'LAST'}}, predicate: 'email IS NOT NULL', storage_parameters: 'fillfactor = 80'}},
			{create_constraint: {table: 'users', name: 'users_username_unique', type: 'unique', columns: ['username'], up: {username: 'username'}, down: {username: 'username'}}},
			{create_constraint: {table: 'users', name: 'users_team_check', type: 'check', columns: ['username'], check: "username <> ''", up: {username: 'username'}, down: {username: 'username'}}},
			{rename_table: {from: 'teams', to: 'squads'}},
			{set_replica_identity: {table: 'users', identity: {type: 'full', index: ''}}},
		];
		const found = await lintGenerated(db, operations);
		expect(found.filter(finding => finding.severity !== 'info' && finding.rule !== 'too-many-steps')).toEqual([]);
	});

	it('every shipped sample lints clean, generated steps included, except the unsafe ones', async () => {
		const samples = readdirSync('samples').filter(name => !name.startsWith('unsafe-') && /\.(ya?ml|json)$/.test(name));
		expect(samples.length).toBeGreaterThanOrEqual(5);
		for (const name of samples) {
			const file = parsePlanText(readFileSync(`samples/${name}`, 'utf8'), name);
			const found = await lintGenerated(db, file.operations.map(op => ({[op.kind]: op.body})));
			expect(found, name).toEqual([]);
		}
	});

	it('the final contract step is one multi-statement ACCESS EXCLUSIVE transaction of instant changes — allowed', async () => {
		const file = parsePlanText(readFileSync('samples/add-display-name.yaml', 'utf8'), 'add-display-name.yaml');
		const {plan} = compilePlan(file, await readCatalog(db));
		const final = plan.steps.at(-1)!;
		expect(final.forward.length).toBeGreaterThan(2);
		expect(final.forward[0]).toMatch(/^DROP TRIGGER/);
		// The same statements followed by real work would be caught.
		const withWork = await lintGenerated(db, [sql([...final.forward, 'UPDATE users SET display_name = username WHERE id < 3'].join(';\n'))]);
		expect(ruleIds(withWork)).toContain('work-after-access-exclusive');
	});
});
