import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {runChecks} from '../../../source/core/checks.js';
import {loadSqlParser} from '../../../source/core/lint/sql/parser.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {describeOperation, refuses, rowsOf} from '../../support/operation-cases.js';

const setup = `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE reviews (id serial PRIMARY KEY, user_id bigint, review text, rating text, title varchar(100));
COMMENT ON COLUMN reviews.review IS 'what they said';
INSERT INTO users (name) SELECT 'u' || g FROM generate_series(1, 10) g;
INSERT INTO reviews (user_id, review, rating, title) SELECT CASE WHEN g % 4 = 0 THEN 99 ELSE g % 10 + 1 END, CASE WHEN g % 3 = 0 THEN 'same' ELSE 'review ' || g END, (g % 5)::text, CASE WHEN g % 2 = 0 THEN 'ab' ELSE 'title ' || g END FROM generate_series(1, 30) g;`;

const constraints = async (db: Parameters<typeof rowsOf>[0]) =>
	(await rowsOf(db, "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'public.reviews'::regclass AND contype <> 'n' ORDER BY conname")).map(row => `${row.conname as string}: ${row.def as string}`);

describeOperation('alter_column', [
	{
		name: 'unique, with an up that makes the values unique (pgroll\'s 15)',
		setup,
		operations: [{alter_column: {table: 'reviews', column: 'review', unique: {name: 'reviews_review_unique'}, up: "review || '-' || id", down: 'review'}}],
		async afterStart({v1, v2}) {
			// The new version sees unique values at once; the old one its own.
			expect(await rowsOf(v2, "SELECT review FROM reviews WHERE id = 3")).toEqual([{review: 'same-3'}]);
			expect(await rowsOf(v1, "SELECT review FROM reviews WHERE id = 3")).toEqual([{review: 'same'}]);
		},
		async afterComplete({db}) {
			expect(await constraints(db)).toContain('reviews_review_unique: UNIQUE (review)');
			expect(await rowsOf(db, 'SELECT count(DISTINCT review)::int AS n FROM reviews')).toEqual([{n: 30}]);
		},
	},
	{
		name: 'a check and a reference, each with an up that makes the rows fit (pgroll\'s 21 and 22)',
		setup,
		operations: [
			{alter_column: {table: 'reviews', column: 'title', check: {name: 'title_length', constraint: 'length(title) > 3'}, up: "SELECT CASE WHEN length(title) <= 3 THEN LPAD(title, 4, '-') ELSE title END", down: 'title'}},
			{alter_column: {table: 'reviews', column: 'user_id', references: {name: 'fk_users_id', table: 'users', column: 'id', on_delete: 'CASCADE'}, up: 'SELECT CASE WHEN EXISTS (SELECT 1 FROM users WHERE users.id = user_id) THEN user_id ELSE NULL END', down: 'user_id'}},
		],
		async afterStart({v1, v2}) {
			expect(await rowsOf(v2, 'SELECT title, user_id FROM reviews WHERE id = 4')).toEqual([{title: '--ab', user_id: null}]);
			expect(await rowsOf(v1, 'SELECT title, user_id::int FROM reviews WHERE id = 4')).toEqual([{title: 'ab', user_id: 99}]);
		},
		async afterComplete({db, v2}) {
			expect(await constraints(db)).toEqual(['fk_users_id: FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE', 'reviews_pkey: PRIMARY KEY (id)', 'title_length: CHECK ((length((title)::text) > 3))']);
			await refuses(v2, "INSERT INTO reviews (title) VALUES ('ab')", /title_length/);
		},
	},
	{
		name: 'a comment, set at start and back on rollback; a unique without up on values that are unique',
		setup,
		operations: [
			{alter_column: {table: 'reviews', column: 'review', comment: 'what they wrote'}},
			{alter_column: {table: 'reviews', column: 'id', comment: null, unique: {name: 'reviews_id_unique'}}},
		],
		async afterStart({db}) {
			expect(await rowsOf(db, "SELECT col_description('public.reviews'::regclass, 3) AS comment")).toEqual([{comment: 'what they wrote'}]);
		},
		async afterComplete({db}) {
			expect(await rowsOf(db, "SELECT col_description('public.reviews'::regclass, 3) AS comment")).toEqual([{comment: 'what they wrote'}]);
			expect(await constraints(db)).toContain('reviews_id_unique: UNIQUE (id)');
		},
	},
	{
		name: 'several fields in one operation: type, default, NOT NULL, name, comment, unique, check (pgroll\'s 35)',
		setup,
		operations: [
			{
				alter_column: {
					table: 'reviews',
					column: 'rating',
					name: 'stars',
					type: 'integer',
					default: '3',
					nullable: false,
					comment: 'one to five',
					unique: {name: 'reviews_stars_unique'},
					check: {name: 'stars_range', constraint: 'stars BETWEEN 0 AND 100'},
					up: 'CAST(rating AS integer) * 10 + id',
					down: 'CAST(stars AS text)',
				},
			},
		],
		async afterStart({v1, v2}) {
			expect(await rowsOf(v2, 'SELECT stars FROM reviews WHERE id = 2')).toEqual([{stars: 22}]);
			expect(await rowsOf(v1, 'SELECT rating FROM reviews WHERE id = 2')).toEqual([{rating: '2'}]);
		},
		async afterComplete({db, v2}) {
			expect(await constraints(db)).toEqual(['reviews_pkey: PRIMARY KEY (id)', 'reviews_stars_unique: UNIQUE (stars)', 'stars_range: CHECK (((stars >= 0) AND (stars <= 100)))']);
			expect(await rowsOf(db, "SELECT format_type(atttypid, atttypmod) AS type, attnotnull AS nn, col_description(attrelid, attnum) AS comment FROM pg_attribute WHERE attrelid = 'public.reviews'::regclass AND attname = 'stars'")).toEqual([
				{type: 'integer', nn: true, comment: 'one to five'},
			]);
			await refuses(v2, 'INSERT INTO reviews (stars) VALUES (500)', /stars_range/);
		},
	},
]);

describe('alter_column, before anything runs', () => {
	const attempt = async (fields: Record<string, unknown>) => {
		await loadSqlParser();
		const db = await openPglite();
		try {
			await db.script(setup);
			const {checks} = compilePlan(plan({id: 'A', operations: [{alter_column: {table: 'reviews', ...fields}}]}), await readCatalog(db));
			await runChecks(db, checks);
			return 'no error';
		} catch (error) {
			return (error as Error).message;
		} finally {
			await db.close();
		}
	};

	it.each([
		[{column: 'review', unique: {name: 'u'}}, /1 value is held by more than one row of reviews/],
		[{column: 'title', check: {name: 'c', constraint: 'length(title) > 3'}}, /rows of reviews break check "c"/],
		[{column: 'user_id', references: {name: 'f', table: 'users', column: 'id'}}, /rows of reviews reference no row of users/],
		[{column: 'user_id', references: {name: 'f', table: 'users', column: 'name'}}, /no primary key or unique constraint of "users" covers exactly "name"/],
		[{column: 'review', check: {name: 'reviews_pkey', constraint: 'true'}}, /already has a constraint "reviews_pkey"/],
		[{column: 'review'}, /nothing to change/],
	])('%j', async (fields, message) => {
		expect(await attempt(fields)).toMatch(message);
	});
});
