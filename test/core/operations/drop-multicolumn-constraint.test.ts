import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {describeOperation, refuses, rowsOf} from '../../support/operation-cases.js';
import {constraintSetup} from '../../support/constraint-setup.js';

describeOperation('drop_multicolumn_constraint', [
	{
		name: 'a NOT VALID check over two columns comes back NOT VALID',
		setup: constraintSetup,
		operations: [{drop_multicolumn_constraint: {table: 'posts', name: 'posts_title_user', up: {title: 'title', user_id: 'user_id'}, down: {title: 'title', user_id: 'user_id'}}}],
		async afterStart({v1}) {
			await refuses(v1, "INSERT INTO posts (title) VALUES ('')", /posts_title_user|title_length/);
		},
		async afterComplete({db}) {
			expect(await rowsOf(db, "SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'posts_title_user'")).toEqual([{n: 0}]);
		},
	},
]);

describe('drop_multicolumn_constraint, before anything runs', () => {
	it('wants down for every column of the constraint, and no other', async () => {
		const db = await openPglite();
		try {
			await db.script(constraintSetup);
			const catalog = await readCatalog(db);
			const attempt = (down: Record<string, string>) => () => compilePlan(plan({id: 'D', operations: [{drop_multicolumn_constraint: {table: 'posts', name: 'posts_title_user', down}}]}), catalog);
			expect(attempt({title: 'title'})).toThrow(/down: no expression for column "user_id"/);
			expect(attempt({title: 'title', user_id: 'user_id', review: 'review'})).toThrow(/down: "review" is not a column of the constraint/);
			expect(attempt({title: 'title', user_id: 'user_id'})).not.toThrow();
		} finally {
			await db.close();
		}
	});
});
