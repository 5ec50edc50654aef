import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {defaultTargetBatchMs} from '../../source/core/backfill.js';
import {openMigration, type MigrationFlags} from '../../source/services/open-migration.js';
import {openBackend} from '../support/databases.js';

/** The flags a migration opens with reach its executor: here --batch-ms, the batch time the backfill's size adapts to. */
describe('opening a migration', () => {
	let opened: Awaited<ReturnType<typeof openBackend>>;
	beforeAll(async () => {
		opened = await openBackend('pglite', 50);
	});
	afterAll(async () => opened?.close());

	const open = async (flags: Partial<MigrationFlags>) => {
		const migration = await openMigration(opened.db, {path: 'samples/add-display-name.yaml', flags: {allow: [], ...flags}, signal: new AbortController().signal, refuseLintErrors: false});
		const {control} = migration.executor;
		await migration.release();
		return control;
	};

	it('aims the backfill batches at --batch-ms, and adapts their size to it', async () => {
		expect(await open({batchMs: 120})).toMatchObject({targetBatchMs: 120, fixed: false});
	});

	it('aims them at the default without it, and --batch-size fixes the size instead', async () => {
		expect(await open({})).toMatchObject({targetBatchMs: defaultTargetBatchMs(false), fixed: false});
		expect(await open({batchSize: 250})).toMatchObject({batchSize: 250, fixed: true});
	});
});
