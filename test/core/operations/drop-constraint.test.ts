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

describeOperation('drop_constraint with a down that makes the new version\'s values fit the old constraint', [
	{
		name: 'a check (pgroll\'s 23): the new version is free of it at once, the old one keeps it through down',
		// Without the second check on title, which the shadow column cannot carry yet (duplicate.ts refuses it).
		setup: constraintSetup.replace(/ALTER TABLE posts ADD CONSTRAINT posts_title_user[^;]*;/, ''),
		operations: [{drop_constraint: {table: 'posts', name: 'title_length', up: 'title', down: "SELECT CASE WHEN length(title) <= 3 THEN LPAD(title, 4, '-') ELSE title END"}}],
		async afterStart({v1, v2}) {
			await v2.query("INSERT INTO posts (title, user_id) VALUES ('ab', 1)");
			expect(await rowsOf(v2, "SELECT title FROM posts WHERE user_id = 1 AND review IS NULL")).toEqual([{title: 'ab'}]);
			expect(await rowsOf(v1, "SELECT title FROM posts WHERE user_id = 1 AND review IS NULL")).toEqual([{title: '--ab'}]);
			await refuses(v1, "INSERT INTO posts (title) VALUES ('xy')", /title_length/);
			await v2.query('DELETE FROM posts WHERE user_id = 1 AND review IS NULL');
		},
		async afterComplete({db, v2}) {
			expect(await constraintNames(db)).toEqual(['fk_users_id', 'posts_pkey', 'posts_review_unique']);
			await v2.query("INSERT INTO posts (title) VALUES ('xy')");
			expect(await rowsOf(db, "SELECT count(*)::int AS n FROM posts WHERE title LIKE 'post %'")).toEqual([{n: 10}]);
		},
	},
	{
		name: 'a unique constraint (pgroll\'s 27), down making the old copy unique',
		setup: constraintSetup,
		operations: [{drop_constraint: {table: 'posts', name: 'posts_review_unique', up: 'review', down: "review || '-' || id"}}],
		async afterStart({v1, v2}) {
			await v2.query("INSERT INTO posts (id, title, review) VALUES (100, 'dup one', 'r1')");
			expect(await rowsOf(v1, 'SELECT review FROM posts WHERE id = 100')).toEqual([{review: 'r1-100'}]);
			await v2.query('DELETE FROM posts WHERE id = 100');
		},
		async afterComplete({db}) {
			expect(await constraintNames(db)).toEqual(['fk_users_id', 'posts_pkey', 'posts_title_user', 'title_length']);
		},
	},
]);

describe('drop_constraint, before anything runs', () => {
	it.each([
		[{name: 'posts_pkey', up: 'id', down: 'id'}, /"posts_pkey" is a primary key constraint; only check, foreign key and unique constraints can be dropped/],
		[{name: 'nope', up: 'x', down: 'x'}, /"posts" has no constraint "nope"/],
		[{name: 'posts_title_user', up: 'title', down: 'title'}, /covers 2 columns/],
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
