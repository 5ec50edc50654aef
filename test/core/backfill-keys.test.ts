import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlan} from '../../source/core/compile.js';
import {Executor} from '../../source/core/executor.js';
import {validatePlan} from '../../source/core/plan-file.js';
import type {Plan} from '../../source/core/plan.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {loadBackfillBatches} from '../../source/db/state.js';
import {backends, openBackend} from '../support/databases.js';
import {expectRefused} from '../support/refusal.js';
import {resetMigrations} from '../support/reset.js';
import {keyKindRowsHash, keyKindSetup, keyKinds, keyKindWritten, keysPlan, type KeyKind} from '../support/key-kinds.js';

/**
 * Backfills of tables with every kind of row key (key-kinds.ts): each row filled exactly once and
 * as one big UPDATE would fill it, and a table with no usable key refused before anything runs.
 */

const plan = validatePlan(keysPlan);

describe.each(backends())('backfills over any key on %s', backend => {
	let db: Database;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({db, close} = await openBackend(backend, 10));
	});
	afterAll(async () => close());

	async function fresh(kind: KeyKind, rows: number) {
		await resetMigrations(db);
		await db.script(keyKindSetup(kind, rows));
		const {rows: counted} = await db.query<{count: number}>('SELECT count(*)::int AS count FROM items');
		return counted[0]!.count;
	}

	const compile = async (): Promise<Plan> => compilePlan(plan, await readCatalog(db)).plan;
	const backfillSteps = (compiled: Plan) => compiled.steps.filter(step => step.kind === 'backfill');

	const rowsHash = async (kind: KeyKind, table: string) => (await db.query<{hash: string}>(keyKindRowsHash(kind, table))).rows[0]!.hash;

	/** Every key in the order the key's index keeps, as zdm records it. */
	const keysInOrder = async (kind: KeyKind) => (await db.query<{key: string}>(`SELECT ${kind.keyText} AS key FROM items t ORDER BY ${kind.keyOrder}`)).rows.map(row => row.key);

	const written = async (backfill: 'note' | 'qty') => (await db.query<{rows: number; once: number}>(keyKindWritten, [backfill])).rows[0];

	it.each(keyKinds)('$name: every row filled exactly once, as one UPDATE fills it, in consecutive ranges of pages', async kind => {
		const total = await fresh(kind, 3000);
		const compiled = await compile();
		expect(backfillSteps(compiled).map(step => step.backfill!.key.index)).toEqual([kind.index, kind.index]);
		const executor = await Executor.open(db, compiled, {batchSize: 97});
		expect((await executor.run()).outcome).toBe('complete');
		expect(await rowsHash(kind, 'items')).toBe(await rowsHash(kind, 'expected'));
		expect(await written('note')).toEqual({rows: total, once: total});
		expect(await written('qty')).toEqual({rows: total, once: total});
		for (const step of backfillSteps(compiled)) {
			const recorded = await loadBackfillBatches(db, compiled.id, step.number);
			// Handed out in seq order, each starting at the page where the one before ended.
			expect(recorded.map(batch => batch.afterKey)).toEqual(['0', ...recorded.slice(0, -1).map(batch => batch.lastKey)]);
			expect(recorded.reduce((sum, batch) => sum + batch.rows, 0)).toBe(total);
		}
	});

	it('refuses a table with no usable key before anything runs, and says what to add', async () => {
		await resetMigrations(db);
		await db.script(`DROP TABLE IF EXISTS items, expected, backfill_log CASCADE;
			CREATE TABLE items (code text UNIQUE, slot int NOT NULL, name text NOT NULL, qty int NOT NULL);
			CREATE UNIQUE INDEX items_slot_positive ON items (slot) WHERE slot > 0;
			CREATE UNIQUE INDEX items_lower_name ON items (lower(name));
			INSERT INTO items SELECT 'c' || g, g, 'item ' || g, g FROM generate_series(1, 50) g;`);
		await expectRefused(db, keysPlan, /operations\[0\]\.add_column: table "items" has no row key, .* add a primary key to "items" first, or a unique index on NOT NULL columns/);
	});
});
