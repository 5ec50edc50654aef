import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {describeOperation, rowsOf} from '../../support/operation-cases.js';
import {constraintSetup} from '../../support/constraint-setup.js';

const names = async (db: Parameters<typeof rowsOf>[0]) => (await rowsOf(db, "SELECT conname FROM pg_constraint WHERE conrelid = 'posts'::regclass AND contype <> 'n' ORDER BY 1")).map(row => row.conname);

describeOperation('rename_constraint', [
	{
		name: 'a check, and a unique constraint whose index is renamed with it',
		setup: constraintSetup,
		operations: [
			{rename_constraint: {table: 'posts', from: 'title_length', to: 'title_length_check'}},
			{rename_constraint: {table: 'posts', from: 'posts_review_unique', to: 'posts_review_key'}},
		],
		async afterStart({db}) {
			// It keeps its name while the migration is active.
			expect(await names(db)).toContain('title_length');
		},
		async afterComplete({db}) {
			expect(await names(db)).toEqual(['fk_users_id', 'posts_pkey', 'posts_review_key', 'posts_title_user', 'title_length_check']);
			expect(await rowsOf(db, "SELECT to_regclass('posts_review_key') IS NOT NULL AS renamed")).toEqual([{renamed: true}]);
			expect(await rowsOf(db, "SELECT obj_description(oid, 'pg_constraint') AS comment FROM pg_constraint WHERE conname = 'title_length_check'")).toEqual([{comment: 'short titles read badly'}]);
		},
	},
]);

describe('rename_constraint, before anything runs', () => {
	it('refuses a name the table or the schema already uses', async () => {
		const db = await openPglite();
		try {
			await db.script(constraintSetup);
			const catalog = await readCatalog(db);
			expect(() => compilePlan(plan({id: 'R', operations: [{rename_constraint: {table: 'posts', from: 'title_length', to: 'fk_users_id'}}]}), catalog)).toThrow(/already has a constraint "fk_users_id"/);
			expect(() => compilePlan(plan({id: 'R', operations: [{rename_constraint: {table: 'posts', from: 'posts_review_unique', to: 'users_pkey'}}]}), catalog)).toThrow(/already the name of an index on "users"/);
			expect(() => compilePlan(plan({id: 'R', operations: [{rename_constraint: {table: 'posts', from: 'nope', to: 'x'}}]}), catalog)).toThrow(/has no constraint "nope"/);
		} finally {
			await db.close();
		}
	});
});
