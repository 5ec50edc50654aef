import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {constraintSetup} from '../../support/constraint-setup.js';
import {describeOperation, refuses, rowsOf} from '../../support/operation-cases.js';


const constraintNames = async (db: Parameters<typeof rowsOf>[0]) => (await rowsOf(db, "SELECT conname FROM pg_constraint WHERE conrelid = 'posts'::regclass AND contype <> 'n' ORDER BY 1")).map(row => row.conname);

describeOperation('drop_constraint', [
	{
		name: 'a check, a foreign key and a unique constraint (with its comment and a NOT VALID one) come back exactly',
		setup: constraintSetup,
		operations: [
			{drop_constraint: {table: 'posts', name: 'title_length', up: 'title', down: 'title'}},
			{drop_constraint: {table: 'posts', name: 'fk_users_id', up: 'user_id', down: 'user_id'}},
			{drop_constraint: {table: 'posts', name: 'posts_review_unique', up: 'review', down: 'review'}},
		],
		async afterStart({v2}) {
			// Until contract the constraint holds for both versions.
			await refuses(v2, "INSERT INTO posts (title) VALUES ('abc')", /title_length/);
		},
		async afterComplete({db, v2}) {
			expect(await constraintNames(db)).toEqual(['posts_pkey', 'posts_title_user']);
			await v2.query("INSERT INTO posts (title, user_id, review) VALUES ('abc', 999, 'r1')");
		},
	},
]);

describe('drop_constraint, before anything runs', () => {
	it.each([
		[{name: 'posts_pkey', up: 'id', down: 'id'}, /"posts_pkey" is a primary key constraint; only check, foreign key and unique constraints can be dropped/],
		[{name: 'nope', up: 'x', down: 'x'}, /"posts" has no constraint "nope"/],
		[{name: 'posts_title_user', up: 'title', down: 'title'}, /covers 2 columns/],
		[{name: 'title_length', up: 'title', down: "lpad(title, 4, '-')"}, /a down that changes values while a constraint is dropped is not supported yet/],
	])('%j is refused', async (fields, message) => {
		const db = await openPglite();
		try {
			await db.script(constraintSetup);
			const catalog = await readCatalog(db);
			expect(() => compilePlan(plan({id: 'D', operations: [{drop_constraint: {table: 'posts', ...fields}}]}), catalog)).toThrow(message);
		} finally {
			await db.close();
		}
	});
});
