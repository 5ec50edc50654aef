import {render} from 'ink-testing-library';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {MigrationPhase} from '../../source/core/phase.js';
import {VersionBook} from '../../source/core/operations/version-book.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {UsersTable} from '../../source/ui/components/UsersTable.js';
import {planTables, tableOnScreen} from '../../source/ui/data/plan-tables.js';
import {readUsersWindow} from '../../source/ui/data/users-window.js';
import {dashboardReducer, initialState, type DashboardState} from '../../source/ui/state/dashboard-state.js';
import type {PlanTable} from '../../source/ui/state/plan-tables.js';
import type {VersionName} from '../../source/traffic/index.js';
import {step} from './support.js';

const versionSchema = 'public_MIG-NEW';
const schemas = {v1: 'public', v2: versionSchema};

/**
 * The database as a plan that creates `audit` and drops `legacy` leaves it between start and
 * complete: audit is a table already, with a view in the version schema; legacy is still there,
 * with none.
 */
async function startedDatabase() {
	const db = await openPglite();
	await seedUsers(db, {rows: 3});
	await db.query('CREATE TABLE audit (id bigserial PRIMARY KEY, what text)');
	await db.query("INSERT INTO audit (what) VALUES ('created by the plan')");
	await db.query('CREATE TABLE legacy (id bigserial PRIMARY KEY, note text)');
	await db.query("INSERT INTO legacy (note) VALUES ('dropped by the plan')");
	await db.query(`CREATE SCHEMA "${versionSchema}"`);
	await db.query(`CREATE VIEW "${versionSchema}".users AS SELECT * FROM public.users`);
	await db.query(`CREATE VIEW "${versionSchema}".audit AS SELECT * FROM public.audit`);
	return db;
}

describe('tables the plan creates and drops, in the table panel', () => {
	let db: Database;
	let tables: PlanTable[];
	beforeAll(async () => {
		db = await startedDatabase();
		// As create_table and drop_table describe themselves to the registry's VersionBook.
		const book = new VersionBook(await readCatalog(db));
		book.table('users');
		book.createTable('audit', [{name: 'id', type: 'bigint', notNull: true, hasDefault: true}], ['id']);
		book.dropTable('legacy');
		tables = planTables(book.tables, 'public', []);
	});
	afterAll(async () => db.close());

	const shown = async (name: string, version: VersionName, phase: MigrationPhase) => {
		const table = tables.find(each => each.v1 === name || each.v2 === name)!;
		const window = await readUsersWindow(db, {...tableOnScreen(table, version, phase, schemas, 'public'), after: null, limit: 5});
		return window.unavailable ?? `${window.schema}.${window.table}: ${window.rows.map(row => Object.values(row.cells).join(' ')).join('; ')}`;
	};

	it('lists them under the names each version knows', () => {
		expect(tables).toEqual([
			{schema: 'public', v1: 'users', v2: 'users'},
			{schema: 'public', v1: undefined, v2: 'audit'},
			{schema: 'public', v1: 'legacy', v2: undefined},
		]);
	});

	it('shows a created table to v2 only until complete, then to both', async () => {
		expect(await shown('audit', 'v2', 'MIGRATING')).toBe(`${versionSchema}.audit: 1 created by the plan`);
		// The table is there in public, but the old application does not know it.
		expect(await shown('audit', 'v1', 'MIGRATING')).toBe('not in this version (the plan creates it; tab: v2)');
		expect(await shown('audit', 'v1', 'COMPLETE')).toBe('public.audit: 1 created by the plan');
		expect(await shown('audit', 'v2', 'COMPLETE')).toBe(`${versionSchema}.audit: 1 created by the plan`);
		expect(await shown('audit', 'v1', 'ROLLED_BACK')).toMatch(/^not in this version/);
	});

	it('takes a dropped table from v2 at start and from v1 at complete, saying so rather than failing', async () => {
		expect(await shown('legacy', 'v1', 'MIGRATING')).toBe('public.legacy: 1 dropped by the plan');
		expect(await shown('legacy', 'v2', 'EXPANDING')).toBe('not in this version (the plan drops it; tab: v1 until complete)');
		expect(await shown('legacy', 'v2', 'COMPLETE')).toBe('not in this version (the plan drops it)');
		expect(await shown('legacy', 'v1', 'COMPLETE')).toBe('not in this version (dropped at complete)');
	});

	it('follows a step on the created table to it, and says which table of how many it is', async () => {
		let state: DashboardState = dashboardReducer(initialState(), {
			type: 'ready',
			database: 'PGlite',
			plan: {id: 'MIG-NEW', title: '', phase: 'PENDING'},
			steps: [step(1, {table: 'audit'}), step(2, {table: 'legacy', phase: 'CONTRACTING'})],
			findings: [],
			history: [],
			batchSize: 1000,
			batchFixed: false,
			versions: schemas,
			tables,
		});
		expect(state.tableIndex).toBe(1);
		const window = await readUsersWindow(db, {...tableOnScreen(tables[state.tableIndex]!, 'v1', 'EXPANDING', schemas, 'public'), after: null, limit: 5});
		const frame = render(<UsersTable window={window} changed={new Set()} newColumns={[]} version="v1" place={{index: state.tableIndex, count: tables.length}} height={5} width={140} />).lastFrame();
		expect(frame).toBe('v1 sees public.audit · table 2/3 [ ]: not in this version (the plan creates it; tab: v2)');
		state = dashboardReducer(state, {type: 'executor', event: {type: 'step-executed', step: {...state.steps[0]!, status: 'executed'}, durationMs: 1}});
		expect(tables[state.tableIndex]).toEqual({schema: 'public', v1: 'legacy', v2: undefined});
	});
});
