import {fileURLToPath} from 'node:url';
import {cleanup, render} from 'ink-testing-library';
import pg from 'pg';
import {afterEach, describe, expect, it} from 'vitest';
import type {CommandFlags} from '../../source/commands/options.js';
import type {Database} from '../../source/db/database.js';
import {loadMigration} from '../../source/db/state.js';
import {App} from '../../source/ui/App.js';
import {openBackend, serverUrl} from '../support/databases.js';
import {waitForFrame} from './support.js';

const sample = fileURLToPath(new URL('../../samples/rename-email.yaml', import.meta.url));
const flags: CommandFlags = {json: false, yes: false, force: false, allow: [], autoplay: false, traffic: 0};

afterEach(() => cleanup());

describe.skipIf(!serverUrl())('dashboard hold on a server', () => {
	it('re-checks its hold before each step: taken by another meanwhile, it stops; given back, it goes on', async () => {
		const server = await openBackend('server', 50);
		const other = new pg.Client({connectionString: server.url});
		await other.connect();
		const exits: Array<{code: number} | {error: unknown}> = [];
		const open = async (): Promise<Database> => ({...server.db, close: async () => {}});
		const app = render(<App planPath={sample} flags={flags} open={open} onExit={result => exits.push(result)} />);
		try {
			await waitForFrame(app.lastFrame, text => text.includes('[PENDING]'));
			// The dashboard's hold is cut (a terminated backend), and another takes the lock meanwhile.
			const {rows} = await other.query<{backend_pid: number}>('SELECT backend_pid FROM zdm.holder');
			await other.query('SELECT pg_terminate_backend($1)', [rows[0]!.backend_pid]);
			// The lock is free once the server has ended that backend: take it then.
			for (let attempt = 0; !(await other.query<{got: boolean}>('SELECT pg_try_advisory_lock(7406210) AS got')).rows[0]!.got; attempt++) {
				if (attempt > 500) throw new Error('the terminated hold was never released');
				await new Promise(resolve => setTimeout(resolve, 20));
			}

			app.stdin.write(' ');
			const frame = await waitForFrame(app.lastFrame, text => text.includes('lost the hold on the database'));
			expect(frame).toContain('[PENDING]');
			expect((await loadMigration(server.db, 'MIG-002'))?.steps[0]!.status).toBe('pending');
			// Given back: the next step takes the hold again and runs.
			await other.query('SELECT pg_advisory_unlock(7406210)');
			app.stdin.write(' ');
			await waitForFrame(app.lastFrame, text => text.includes('✔ 1.') && text.includes('[EXPANDING]'));
			app.stdin.write('q');
			await waitForFrame(() => String(exits.length), text => text === '1');
		} finally {
			await other.end();
			await server.close();
		}
	});
});
