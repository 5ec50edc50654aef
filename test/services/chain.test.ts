import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Executor} from '../../source/core/executor.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {followEntry, openChainEntry, readChain, type ChainEvent} from '../../source/services/chain.js';
import {backends, openBackend} from '../support/databases.js';
import {compileOn} from '../support/exact.js';

/**
 * The chain service the CLI and the dashboard share (#11), on a state schema an older zdm-tui
 * made: reading the history creates nothing, the first migration that opens upgrades the schema
 * and records its parent, and every event says which migration it belongs to.
 */

const columns = `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass('zdm.migrations') AND attname IN ('parent', 'source_file', 'plan_document', 'baseline') AND NOT attisdropped ORDER BY 1`;

describe.each(backends())('the chain service on %s', backend => {
	const dir = mkdtempSync(join(tmpdir(), 'zdm-chain-service-'));
	let opened: Awaited<ReturnType<typeof openBackend>>;
	beforeAll(async () => {
		writeFileSync(join(dir, '001_nickname.yaml'), 'operations:\n  - add_column: {table: users, column: {name: nickname, type: text, nullable: true}, up: lower(username)}\n');
		writeFileSync(join(dir, '002_rename.yaml'), 'operations:\n  - rename_column: {table: users, from: email, to: contact_email}\n');
		opened = await openBackend(backend, 100);
	});
	afterAll(async () => {
		await opened?.close();
		rmSync(dir, {recursive: true, force: true});
	});

	it('goes on from the history an older state schema holds, and upgrades it only when it changes something', async () => {
		const {db} = opened;
		// 001 applied by an older zdm-tui: its state schema had none of the history's columns.
		const first = await Executor.open(db, await compileOn(db, readPlanFile(join(dir, '001_nickname.yaml'))), {batchSize: 30});
		expect(await first.run()).toEqual({outcome: 'complete'});
		await db.query('ALTER TABLE zdm.migrations DROP COLUMN parent, DROP COLUMN source_file, DROP COLUMN plan_document, DROP COLUMN baseline');

		const chain = await readChain(db, {dir, complete: true, allow: []});
		expect(chain.entries.map(entry => [entry.file.id, entry.parent])).toEqual([['002_rename', '001_nickname']]);
		expect((await db.query(columns)).rows, 'reading the history changed the state schema').toEqual([]);

		const entry = await openChainEntry(db, chain, chain.entries[0]!, {flags: {allow: []}, signal: new AbortController().signal});
		const events: ChainEvent[] = [];
		const stop = followEntry(entry, event => events.push(event));
		try {
			expect(await entry.executor.run(entry.stopBefore)).toEqual({outcome: 'complete'});
		} finally {
			stop();
			await entry.release();
		}

		expect(events.length).toBeGreaterThan(0);
		expect(events.every(event => event.migration === '002_rename' && event.position === 0 && event.total === 1)).toBe(true);
		expect((await db.query<{name: string}>(columns)).rows.map(row => row.name)).toEqual(['baseline', 'parent', 'plan_document', 'source_file']);
		const {rows} = await db.query<{id: string; parent: string | null; source_file: string | null}>('SELECT id, parent, source_file FROM zdm.migrations ORDER BY started_at');
		expect(rows).toEqual([
			{id: '001_nickname', parent: null, source_file: null},
			{id: '002_rename', parent: '001_nickname', source_file: '002_rename.yaml'},
		]);
		expect((await readChain(db, {dir, complete: true, allow: []})).entries).toEqual([]);
	});
});
