import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {seedUsers} from '../../source/db/seed.js';
import {prepareTraffic} from '../../source/traffic/index.js';
import type {ApplicationVersion, VersionTable, Written} from '../../source/traffic/app-version.js';
import {backends, openBackend} from '../support/databases.js';
import {resetMigrations} from '../support/reset.js';

interface Writes {
	v1Insert: Written;
	v1Update: Written;
	v2Insert: Written;
	v2Update: Written;
	/** Row 6 as it was before v2 updated it. */
	row6Before: Record<string, unknown>;
}

interface Case {
	path: string;
	v1: string[];
	/** v2's columns, the final names, from expand until long after contract. */
	v2: string[];
	given(): {v1Insert?: Record<string, unknown>; v1Update?: Record<string, unknown>; v2Insert?: Record<string, unknown>; v2Update?: Record<string, unknown>};
	/** After expand and migrate, before contract: what each version wrote arrived on the other side. */
	during(db: Database, w: Writes, shadow: string): Promise<void>;
	/** At COMPLETE: the rows hold the right values in the final shape. */
	after(db: Database, w: Writes): Promise<void>;
}

async function row(db: Database, id: string, columns: string[]) {
	const {rows} = await db.query(`SELECT ${columns.map(c => `"${c}"`).join(', ')} FROM users WHERE id = $1`, [id]);
	expect(rows, `row ${id}`).toHaveLength(1);
	return rows[0]!;
}

async function columnsOfUsers(db: Database) {
	const {rows} = await db.query<{name: string; type: string}>(
		"SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'public.users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
	);
	return rows;
}

const cases: Case[] = [
	{
		path: 'samples/add-display-name.yaml',
		v1: ['username', 'email'],
		v2: ['username', 'email', 'display_name'],
		given: () => ({v1Insert: {username: 'mary ann'}, v2Insert: {display_name: 'Custom Name'}, v2Update: {display_name: 'Renamed Later'}}),
		async during(db, w) {
			// add_column has only an up direction: v1's rows get up(); v2's own value stands.
			expect(await row(db, w.v1Insert.key, ['username', 'display_name'])).toEqual({username: 'mary ann', display_name: 'Mary Ann'});
			expect(await row(db, w.v2Insert.key, ['display_name', 'email'])).toEqual({display_name: 'Custom Name', email: w.v2Insert.values.email});
			expect(await row(db, w.v2Update.key, ['display_name'])).toEqual({display_name: 'Renamed Later'});
		},
		async after(db, w) {
			expect(await row(db, w.v1Insert.key, ['display_name'])).toEqual({display_name: 'Mary Ann'});
			expect(await row(db, w.v2Insert.key, ['display_name'])).toEqual({display_name: 'Custom Name'});
			expect((await columnsOfUsers(db)).map(c => c.name)).toEqual(['id', 'username', 'email', 'display_name']);
		},
	},
	{
		path: 'samples/rename-email.yaml',
		v1: ['username', 'email'],
		v2: ['username', 'contact_email'],
		given: () => ({
			v1Insert: {email: 'v1.insert@example.com'},
			v1Update: {email: 'v1.update@example.com'},
			v2Insert: {contact_email: 'v2.insert@example.com'},
			v2Update: {contact_email: 'v2.update@example.com'},
		}),
		async during(db, w) {
			// One column under two names: v2's contact_email is v1's email, nothing copied, no trigger.
			expect((await columnsOfUsers(db)).map(c => c.name)).toEqual(['id', 'username', 'email']);
			for (const [written, email] of [
				[w.v1Insert, 'v1.insert@example.com'],
				[w.v1Update, 'v1.update@example.com'],
				[w.v2Insert, 'v2.insert@example.com'],
				[w.v2Update, 'v2.update@example.com'],
			] as const) {
				expect(await row(db, written.key, ['email'])).toEqual({email});
			}
		},
		async after(db, w) {
			expect((await columnsOfUsers(db)).map(c => c.name)).toEqual(['id', 'username', 'contact_email']);
			for (const [written, email] of [
				[w.v1Insert, 'v1.insert@example.com'],
				[w.v1Update, 'v1.update@example.com'],
				[w.v2Insert, 'v2.insert@example.com'],
				[w.v2Update, 'v2.update@example.com'],
			] as const) {
				expect(await row(db, written.key, ['contact_email'])).toEqual({contact_email: email});
			}
		},
	},
	{
		path: 'samples/change-email-type.json',
		v1: ['username', 'email'],
		v2: ['username', 'email'],
		given: () => ({
			v1Insert: {email: 'V1.Insert@Example.COM'},
			v1Update: {email: 'V1.Update@EXAMPLE.com'},
			v2Insert: {email: 'v2.insert@example.com'},
			v2Update: {email: 'v2.update@example.com'},
		}),
		async during(db, w, shadow) {
			// up = lower(left(email, 320)) for v1's writes; down = the new value for v2's.
			expect(await row(db, w.v1Insert.key, ['email', shadow])).toEqual({email: 'V1.Insert@Example.COM', [shadow]: 'v1.insert@example.com'});
			expect(await row(db, w.v1Update.key, ['email', shadow])).toEqual({email: 'V1.Update@EXAMPLE.com', [shadow]: 'v1.update@example.com'});
			expect(await row(db, w.v2Insert.key, ['email', shadow])).toEqual({email: 'v2.insert@example.com', [shadow]: 'v2.insert@example.com'});
			expect(await row(db, w.v2Update.key, ['email', shadow])).toEqual({email: 'v2.update@example.com', [shadow]: 'v2.update@example.com'});
		},
		async after(db, w) {
			expect(await columnsOfUsers(db)).toEqual([
				{name: 'id', type: 'bigint'},
				{name: 'username', type: 'text'},
				{name: 'email', type: 'character varying(320)'},
			]);
			expect(await row(db, w.v1Insert.key, ['email'])).toEqual({email: 'v1.insert@example.com'});
			expect(await row(db, w.v1Update.key, ['email'])).toEqual({email: 'v1.update@example.com'});
			expect(await row(db, w.v2Insert.key, ['email'])).toEqual({email: 'v2.insert@example.com'});
			expect(await row(db, w.v2Update.key, ['email'])).toEqual({email: 'v2.update@example.com'});
		},
	},
	{
		path: 'samples/drop-email.yaml',
		v1: ['username', 'email'],
		v2: ['username'],
		given: () => ({v1Insert: {email: 'v1.insert@example.com'}, v2Insert: {username: 'v2insert'}, v2Update: {username: 'v2update'}}),
		async during(db, w) {
			expect(await row(db, w.v1Insert.key, ['email'])).toEqual({email: 'v1.insert@example.com'});
			// drop_column has only a down direction: a row v2 writes without email gets down().
			expect(await row(db, w.v2Insert.key, ['username', 'email'])).toEqual({username: 'v2insert', email: 'v2insert@example.com'});
			// An update by v2 leaves the email v1 reads as it was.
			expect(await row(db, w.v2Update.key, ['username', 'email'])).toEqual({username: 'v2update', email: w.row6Before.email});
		},
		async after(db, w) {
			expect((await columnsOfUsers(db)).map(c => c.name)).toEqual(['id', 'username']);
			expect(await row(db, w.v2Insert.key, ['username'])).toEqual({username: 'v2insert'});
		},
	},
];

const names = (table: VersionTable) => table.columns.map(column => column.name);

describe.each(backends())('dual writes of every sample with triggers, on %s', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 200));
	});
	afterAll(async () => close());

	for (const c of cases) {
		it(`${c.path}: v1's and v2's writes arrive on the other side during migrate, and stay right at COMPLETE`, async () => {
			await resetMigrations(db);
			await seedUsers(db, {rows: 200, force: true});
			const file = readPlanFile(c.path);
			const {plan} = compilePlan(file, await readCatalog(db));
			const traffic = await prepareTraffic(db, file, plan, {rate: 1});
			const v1: ApplicationVersion = traffic.version('v1');
			const v2: ApplicationVersion = traffic.version('v2');
			const [t1, t2] = [v1.tables[0]!, v2.tables[0]!];
			// Each version knows only its own names, and picks its schema as an application would.
			expect([v1.schema, v2.schema]).toEqual(['public', plan.versionSchema]);
			expect(names(t1)).toEqual(c.v1);
			expect(names(t2)).toEqual(c.v2);
			const shadow = plan.steps.find(step => step.backfill?.column.startsWith('_zdm'))?.backfill!.column ?? '';

			const executor = await Executor.open(db, plan, {batchSize: 50});
			while (executor.next && executor.next.phase !== 'CONTRACTING') expect((await executor.step()).outcome).toBe('executed');
			expect(executor.next?.phase).toBe('CONTRACTING');

			const [app1, app2] = [await db.session({schema: v1.schema}), await db.session({schema: v2.schema})];
			try {
				const given = c.given();
				const row6Before = await row(db, '6', ['username', 'email']);
				const writes: Writes = {
					v1Insert: await v1.insert(app1, t1, 1001, given.v1Insert),
					v1Update: await v1.update(app1, t1, '5', 1002, given.v1Update),
					v2Insert: await v2.insert(app2, t2, 2001, given.v2Insert),
					v2Update: await v2.update(app2, t2, '6', 2002, given.v2Update),
					row6Before,
				};
				await c.during(db, writes, shadow);
				// Each version reads back what it wrote, under its own names.
				for (const [version, session, table, written] of [
					[v1, app1, t1, writes.v1Insert],
					[v2, app2, t2, writes.v2Insert],
				] as const) {
					const back = await version.read(session, table, written.key);
					expect(back).toMatchObject(written.values);
				}

				expect((await executor.run()).outcome).toBe('complete');
				await c.after(db, writes);

				// After contract v2 goes on with the same names and the same connection: nothing switched.
				const written = await v2.insert(app2, t2, 3001);
				const back = await v2.read(app2, t2, written.key);
				expect({...back, id: String(back?.id)}).toEqual({id: written.key, ...written.values});
			} finally {
				await app1.release();
				await app2.release();
			}
		});
	}
});
