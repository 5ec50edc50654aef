import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {lint, lintPlan} from '../../source/core/lint/index.js';
import {sqlParserLoaded} from '../../source/core/lint/sql/parser.js';
import {validatePlan} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {ruleIds, sql, type Operation} from './lint-support.js';

// Its own file: the parser is process-wide, and these tests need it not loaded yet.
describe('the SQL parser loads only for plans with raw sql', () => {
	let db: Database;
	beforeAll(async () => {
		db = await openPglite();
		await seedUsers(db, {rows: 5});
	});
	afterAll(async () => db.close());

	async function context(operations: Operation[]) {
		const file = validatePlan({id: 'LAZY', operations});
		const catalog = await readCatalog(db);
		return {file, plan: compilePlan(file, catalog).plan, catalog};
	}

	it('stays unloaded for a plan of operations; until loaded, lint() says raw sql was not read; then reads it', async () => {
		const operations = await context([{create_index: {table: 'users', name: 'users_email_idx', columns: ['email']}}]);
		expect(await lintPlan(operations)).toEqual([]);
		expect(sqlParserLoaded()).toBe(false);

		const raw = await context([sql('CREATE INDEX users_email_idx ON users (email)')]);
		expect(lint(raw)).toEqual([expect.objectContaining({rule: 'sql-not-analysed', severity: 'warning'})]);
		expect(ruleIds(await lintPlan(raw))).toEqual(['require-concurrent-index']);
		expect(sqlParserLoaded()).toBe(true);
		// Once loaded, the synchronous lint() (what run and start call) reads raw sql too.
		expect(ruleIds(lint(raw))).toEqual(['require-concurrent-index']);
	});
});
