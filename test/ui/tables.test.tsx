import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import type {CommandFlags} from '../../source/commands/options.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {App} from '../../source/ui/App.js';
import {waitForFrame} from './support.js';

afterEach(() => cleanup());

/** The demo's users, orders with a key, and events with none. */
async function threeTables() {
	const db = await openPglite();
	await seedUsers(db, {rows: 100});
	await db.query('CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL, note text)');
	await db.query("INSERT INTO orders (user_id, note) SELECT id, 'order of ' || username FROM users WHERE id <= 20");
	await db.query('CREATE TABLE events (kind text NOT NULL)');
	await db.query("INSERT INTO events VALUES ('signup'), ('login')");
	const kept: Database = {...db, close: async () => {}};
	return {db, open: async () => kept};
}

/** Users gain a column, orders an index and a renamed column, events a column: steps 1–2 users, 3 orders, 4 events, 5 the version schema, 6 users. */
function twoTablePlan() {
	const path = join(mkdtempSync(join(tmpdir(), 'zdm-tables-')), 'tables.yaml');
	writeFileSync(
		path,
		[
			'id: MIG-TABLES',
			'operations:',
			'  - add_column: {table: users, column: {name: display_name, type: text, nullable: true}, up: initcap(username)}',
			'  - rename_column: {table: orders, from: note, to: memo}',
			'  - create_index: {table: orders, name: orders_user_id_idx, columns: [user_id]}',
			'  - add_column: {table: events, column: {name: source, type: text, nullable: true}}',
		].join('\n'),
	);
	return path;
}

const flags: CommandFlags = {json: false, yes: false, force: false, allow: [], autoplay: false, traffic: 0};

/** The table panel's header line: the columns, then whose view of which table. */
const header = (frame: string) => frame.split('\n').find(line => /\b(v1|v2) sees /.test(line)) ?? '';

describe('the dashboard over a plan that touches several tables', () => {
	it('follows the table of the step that runs or runs next, and [ / ] move between the plan\'s tables', async () => {
		const demo = await threeTables();
		const exits: Array<{code: number} | {error: unknown}> = [];
		const app = render(<App planPath={twoTablePlan()} flags={flags} open={demo.open} onExit={result => exits.push(result)} />);
		const waitFor = (accept: (frame: string) => boolean) => waitForFrame(app.lastFrame, accept);
		const shows = (pattern: RegExp) => waitFor(frame => pattern.test(header(frame)));

		let frame = await shows(/^id\s+username\s+email\s+v1 sees public\.users · table 1\/3 \[ \]/);
		app.stdin.write(']');
		frame = await shows(/^id\s+user_id\s+note\s+v1 sees public\.orders · table 2\/3 \[ \]/);
		expect(frame).toMatch(/^1\s+1\s+order of alice/m);
		app.stdin.write(']');
		// No key to page by: its first rows, which do not scroll.
		frame = await shows(/^kind\s+v1 sees public\.events · table 3\/3 \[ \] · ~\d+ rows · no key: its first rows only$/);
		expect(frame).toMatch(/^signup\s*$/m);
		app.stdin.write(']');
		await shows(/v1 sees public\.users · table 1\/3/);
		app.stdin.write('[');
		await waitFor(text => text.includes('v1 sees public.events · table 3/3'));

		// Space: step 1 runs on users, so the panel goes back there.
		app.stdin.write(' ');
		await waitFor(text => text.includes('✔ 1.') && /^id\s+username\s+email\s+display_name\s+v1 sees public\.users/.test(header(text)));
		// Step 2 done, step 3 (the index on orders) is next: the panel moves to orders before it runs.
		app.stdin.write(' ');
		await waitFor(text => text.includes('✔ 2.') && text.includes('❯ · 3.') && /v1 sees public\.orders · table 2\/3/.test(header(text)));
		app.stdin.write(' ');
		await waitFor(text => text.includes('✔ 3.') && text.includes('v1 sees public.events · table 3/3'));
		// v2's view of events before its version schema exists, then after: it has the new column.
		app.stdin.write('\t');
		await waitFor(text => text.includes('v2 sees "public_MIG-TABLES".events · table 3/3 [ ]: v2\'s schema appears at the end of expand'));
		app.stdin.write('  ');
		// Step 5 (the version schema) names no table; step 6, the backfill of users, is next.
		frame = await shows(/^id\s+username\s+email\s+display_name\s+v2 sees "public_MIG-TABLES"\.users · table 1\/3/);
		expect(frame).toContain('✔ 5.');
		app.stdin.write(']');
		// v2 knows orders under the new column name, before contract renames it.
		frame = await shows(/^id\s+user_id\s+memo\s+v2 sees "public_MIG-TABLES"\.orders · table 2\/3/);
		expect(frame).toMatch(/^1\s+1\s+order of alice/m);
		app.stdin.write('q');
		await waitForFrame(() => String(exits.length), text => text === '1');
		expect(exits[0]).toEqual({code: 0});
		await demo.db.close();
	});
});
