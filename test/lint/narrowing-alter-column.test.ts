import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {lintOperations, only} from './lint-support.js';

describe('narrowing-alter-column: a plan\'s type change with no up that cannot hold every value', () => {
	let db: Database;
	beforeAll(async () => {
		db = await openPglite();
		await seedUsers(db, {rows: 10});
	});
	afterAll(async () => db.close());

	const findings = async (change: Record<string, unknown>) => only(await lintOperations(db, [{alter_column: {table: 'users', column: 'email', ...change}}]), 'narrowing-alter-column');

	it('text → varchar(100) without up: a warning that spells out the risk', async () => {
		expect(await findings({type: 'varchar(100)'})).toMatchObject([
			{severity: 'warning', operation: 0, message: '"email" of "users" text → varchar(100): longer values fail; rows the old application writes until contract can too', hint: expect.stringMatching(/^give "up" .* checks every existing row before the first step/)},
		]);
	});

	it('is quiet with an up, and for a widening', async () => {
		expect(await findings({type: 'varchar(100)', up: 'left(email, 100)'})).toEqual([]);
		expect(await findings({type: 'varchar'})).toEqual([]);
	});
});
