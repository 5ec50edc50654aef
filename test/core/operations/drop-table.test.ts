import {describe, expect, it} from 'vitest';
import {compilePlan} from '../../../source/core/compile.js';
import {readCatalog} from '../../../source/db/catalog.js';
import {openPglite} from '../../../source/db/pglite.js';
import {plan} from '../../support/exact.js';
import {describeOperation, rowsOf, sees} from '../../support/operation-cases.js';
import {lintOperations} from '../../lint/lint-support.js';

const setup = `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, username text NOT NULL);
CREATE TABLE legacy_notes (id serial PRIMARY KEY, user_id bigint REFERENCES users (id), body text NOT NULL DEFAULT '', CHECK (length(body) < 1000));
CREATE INDEX legacy_notes_user ON legacy_notes (user_id);
COMMENT ON TABLE legacy_notes IS 'written by the old app only';
INSERT INTO users (username) SELECT 'user' || g FROM generate_series(1, 20) g;
INSERT INTO legacy_notes (user_id, body) SELECT g, 'note ' || g FROM generate_series(1, 20) g;`;

describeOperation('drop_table', [
	{
		name: 'a table with a key, a reference, an index and rows',
		setup,
		operations: [{drop_table: {name: 'legacy_notes'}}],
		async afterStart({v1, v2}) {
			// Gone from the new version at once; the old one keeps reading and writing it.
			expect(await sees(v2, 'legacy_notes')).toBe(false);
			expect(await sees(v2, 'users')).toBe(true);
			await v1.query("INSERT INTO legacy_notes (user_id, body) VALUES (1, 'still here')");
			expect(await rowsOf(v1, 'SELECT count(*)::int AS n FROM legacy_notes')).toEqual([{n: 21}]);
			await v1.query("DELETE FROM legacy_notes WHERE body = 'still here'");
		},
		async afterComplete({db, v2}) {
			expect(await sees(db, 'legacy_notes')).toBe(false);
			expect(await rowsOf(db, "SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'legacy_notes%'")).toEqual([{n: 0}]);
			expect(await sees(v2, 'users')).toBe(true);
		},
	},
]);

describe('drop_table, before anything runs', () => {
	it('refuses a table another table\'s foreign key references, naming it', async () => {
		const db = await openPglite();
		try {
			await db.script(setup);
			const file = plan({id: 'D', operations: [{drop_table: {name: 'users'}}]});
			await expect(async () => compilePlan(file, await readCatalog(db))).rejects.toThrow(/foreign key "legacy_notes_user_id_fkey" of "legacy_notes" references "users"/);
			// Both dropped, the referencing one first: allowed.
			const both = plan({id: 'D2', operations: [{drop_table: {name: 'legacy_notes'}}, {drop_table: {name: 'users'}}]});
			expect(compilePlan(both, await readCatalog(db)).plan.steps.at(-1)!.forward).toEqual(['DROP TABLE "public"."legacy_notes"', 'DROP TABLE "public"."users"']);
		} finally {
			await db.close();
		}
	});

	it('is no contract without expand: the new version has not seen the table since expand', async () => {
		const db = await openPglite();
		try {
			await db.script(setup);
			const findings = await lintOperations(db, [{drop_table: {name: 'legacy_notes'}}]);
			expect(findings.filter(finding => finding.severity === 'error')).toEqual([]);
			// A dropped column without down still is one, merged into the same last step or not.
			const mixed = await lintOperations(db, [{drop_table: {name: 'legacy_notes'}}, {drop_column: {table: 'users', column: 'username'}}]);
			expect(mixed.map(finding => finding.rule)).toContain('contract-without-expand');
		} finally {
			await db.close();
		}
	});
});
