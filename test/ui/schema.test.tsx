import {fileURLToPath} from 'node:url';
import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import type {CommandFlags} from '../../source/commands/options.js';
import type {Database} from '../../source/db/database.js';
import {ZdmError} from '../../source/core/errors.js';
import {openDatabase} from '../../source/db/open.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {loadMigration} from '../../source/db/state.js';
import {App} from '../../source/ui/App.js';
import {rowHashes, schemaLines} from '../support/exact.js';
import {waitForFrame} from './support.js';

const renameEmail = fileURLToPath(new URL('../../samples/rename-email.yaml', import.meta.url));
const flags = (extra: Partial<CommandFlags> = {}): CommandFlags => ({json: false, yes: false, force: false, allow: [], autoplay: false, ...extra});

afterEach(() => cleanup());

describe('the dashboard with --schema app', () => {
	it('seeds the demo table in app, shows v1 on app.users and v2 on "app_MIG-002", and leaves public alone', async () => {
		// The CLI's own opener (a throwaway embedded database, seeded in the schema --schema names),
		// with a users table in public too; its close is kept for after the look inside.
		let db: Database | undefined;
		let publicBefore: string[] = [];
		const open = async (given: CommandFlags) => {
			db = await openDatabase({rows: 300, schema: given.schema});
			await seedUsers(db, {rows: 20, force: true});
			publicBefore = [...(await schemaLines(db, 'public')), ...(await rowHashes(db, 'public'))];
			return {...db, close: async () => {}};
		};

		const exits: Array<{code: number} | {error: unknown}> = [];
		const app = render(<App planPath={renameEmail} flags={flags({schema: 'app', traffic: 50, waitThreshold: 60_000})} open={open} onExit={result => exits.push(result)} />);
		const waitFor = async (accept: (frame: string) => boolean) => waitForFrame(app.lastFrame, accept);
		let frame = await waitFor(text => text.includes('[PENDING]') && /^id\s+username\s+email\s+v1 sees app\.users/m.test(text));
		expect(frame).toMatch(/\[PENDING\] v2 uses "app_MIG-002"/);
		expect(frame).toMatch(/^1\s+alice\s+alice@example\.com/m);
		// The demo table the dashboard seeded is in app, with the demo's rows.
		expect((await db!.query<{n: number}>('SELECT count(*)::int AS n FROM app.users')).rows[0]!.n).toBeGreaterThanOrEqual(302);
		app.stdin.write(' ');
		app.stdin.write('\t');
		frame = await waitFor(text => text.includes('✔ 1.') && /^id\s+username\s+contact_email\s+v2 sees "app_MIG-002"\.users/m.test(text));
		app.stdin.write('v');
		app.stdin.write(' ');
		frame = await waitFor(text => text.includes('[COMPLETE]') && text.includes('Migration finished successfully'));
		// Both simulated versions ran against app's table (v1 on app, v2 on its version schema) without an error.
		expect(frame).toContain('✔ zero downtime: no errors');
		expect((await loadMigration(db!, 'MIG-002'))).toMatchObject({phase: 'COMPLETE', schema: 'app', versionSchema: 'app_MIG-002'});
		expect(await schemaLines(db!, 'app')).toContain('column users #3 contact_email text');
		expect([...(await schemaLines(db!, 'public')), ...(await rowHashes(db!, 'public'))]).toEqual(publicBefore);
		app.stdin.write('q');
		await waitForFrame(() => String(exits.length), text => text === '1');
		expect(exits[0]).toEqual({code: 0});
		await db!.close();
	});

	it('a schema the database does not have: exits with the one-line error before planning, and closes the database', async () => {
		const db = await openPglite();
		await seedUsers(db, {rows: 5});
		let closes = 0;
		const exits: Array<{code: number} | {error: unknown}> = [];
		render(<App planPath={renameEmail} flags={flags({schema: 'nosuch', traffic: 0})} open={async () => ({...db, close: async () => void closes++})} onExit={result => exits.push(result)} />);
		await waitForFrame(() => String(exits.length), text => text === '1');
		const error = (exits[0] as {error: ZdmError}).error;
		expect(error).toBeInstanceOf(ZdmError);
		expect(error.exitCode).toBe(2);
		expect(error.oneLine()).toMatch(/^schema "nosuch" does not exist on embedded \(in memory\) — create it first \(CREATE SCHEMA "nosuch"\)/);
		expect(closes).toBe(1);
		expect((await db.query("SELECT nspname FROM pg_namespace WHERE nspname IN ('nosuch', 'zdm')")).rows).toEqual([]);
		await db.close();
	});
});
