import {describe, expect, it} from 'vitest';
import type {Step} from '../../source/core/plan.js';
import {estimateText, extrapolate, growsWithRows, humanDuration, humanRows} from '../../source/services/rehearse-timing.js';
import type {TableReport} from '../../source/services/rehearse.js';

const step = (number: number, overrides: Partial<Step>): Step => ({number, phase: 'EXPANDING', operation: 0, kind: 'ddl', description: `step ${number}`, forward: ['SELECT 1'], rollback: [], why: '', status: 'executed', durationMs: 10, table: 'orders', ...overrides});
const tables: TableReport[] = [
	{schema: 'public', table: 'orders', wanted: 10_000, rows: 10_000, production: 50_000_000},
	{schema: 'public', table: 'fresh', wanted: 10_000, rows: 10_000, production: null},
	{schema: 'public', table: 'empty', wanted: 0, rows: 0, production: 5},
];

describe('rehearsal timings', () => {
	it('only work that walks the rows grows with them', () => {
		expect(growsWithRows(step(1, {kind: 'backfill'}))).toBe(true);
		expect(growsWithRows(step(1, {kind: 'concurrent', forward: ['CREATE INDEX CONCURRENTLY i ON t (a)']}))).toBe(true);
		expect(growsWithRows(step(1, {forward: ['ALTER TABLE t VALIDATE CONSTRAINT c']}))).toBe(true);
		expect(growsWithRows(step(1, {forward: ['ALTER TABLE "t" ALTER COLUMN "a" TYPE bigint']}))).toBe(true);
		expect(growsWithRows(step(1, {forward: ['ALTER TABLE t ADD COLUMN a int', 'CREATE TRIGGER x BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()']}))).toBe(false);
		expect(growsWithRows(step(1, {forward: ['ALTER TABLE t ALTER COLUMN a SET NOT NULL', 'ALTER TABLE t RENAME COLUMN b TO a']}))).toBe(false);
	});

	it('scales a backfill linearly from the copy’s rows to the target’s estimate, and says how', () => {
		const [timing] = extrapolate('M', 'public', [step(4, {kind: 'backfill', durationMs: 1680, backfill: {schema: 'public', table: 'orders'} as Step['backfill']})], tables);
		expect(timing).toMatchObject({number: 4, ms: 1680, grows: true, copyRows: 10_000, productionRows: 50_000_000, estimateMs: 8_400_000});
		expect(estimateText(timing!)).toBe('≈ 2.3 h at 50 M rows (linear from 10,000 rows)');
	});

	it('says why there is no estimate rather than inventing one', () => {
		const timings = extrapolate('M', 'public', [step(1, {}), step(2, {kind: 'backfill', table: 'fresh'}), step(3, {kind: 'backfill', table: 'empty'}), step(4, {kind: 'backfill', table: undefined}), step(5, {kind: 'backfill', status: 'pending', durationMs: undefined})], tables);
		expect(timings.map(timing => estimateText(timing))).toEqual([
			'catalog only: as quick at any size',
			'grows with public.fresh, never analyzed on the target',
			'grows with public.empty, empty in the copy',
			'grows with its table (no row count to scale by)',
		]);
	});

	it('prints durations and row counts the way people say them', () => {
		expect([450, 2500, 14 * 60_000, 5 * 3_600_000, 96 * 3_600_000].map(ms => humanDuration(ms))).toEqual(['450 ms', '2.5 s', '14 min', '5.0 h', '4 days']);
		expect([950, 12_000, 50_000_000, 1_250_000, 3e9].map(rows => humanRows(rows))).toEqual(['950', '12 k', '50 M', '1.3 M', '3 G']);
	});
});
