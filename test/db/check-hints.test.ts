import {beforeAll, describe, expect, it} from 'vitest';
import {loadSqlParser} from '../../source/core/lint/sql/parser.js';
import {checkHints} from '../../source/db/check-hints.js';

beforeAll(async () => loadSqlParser());

/** CHECKs as pg_get_constraintdef prints them, and what generated values are told to meet. */
describe('checkHints', () => {
	it.each([
		['CHECK ((price > (0)::numeric))', 'price', {min: 1}],
		['CHECK ((price >= 0.5))', 'price', {min: 1}],
		['CHECK (((rating >= 1) AND (rating <= 5)))', 'rating', {min: 1, max: 5}],
		['CHECK ((0 < quantity))', 'quantity', {min: 1}],
		['CHECK ((quantity < 100))', 'quantity', {max: 99}],
		['CHECK (((x >= -10) AND (x <= -2)))', 'x', {min: -10, max: -2}],
		['CHECK ((level BETWEEN 1 AND 3))', 'level', {min: 1, max: 3}],
		["CHECK ((status = ANY (ARRAY['new'::text, 'paid'::text])))", 'status', {values: ["'new'", "'paid'"]}],
		["CHECK ((status IN ('a', 'it''s')))", 'status', {values: ["'a'", "'it''s'"]}],
		["CHECK ((kind = 'x'::text)) NOT VALID", 'kind', {values: ["'x'"]}],
		['CHECK ((n = 7)) NO INHERIT', 'n', {min: 7, max: 7}],
	])('%s', (definition, column, hint) => {
		expect(checkHints([definition]).get(column)).toEqual(hint);
	});

	it('narrows across CHECKs of one column, and ignores what is not simple', () => {
		const hints = checkHints(['CHECK ((a > 0))', 'CHECK ((a <= 10))', "CHECK ((b ~ '^[A-Z]+$'::text))", 'CHECK (((a > 0) OR (b IS NULL)))', 'CHECK ((a < b))', 'not a check']);
		expect([...hints]).toEqual([['a', {min: 1, max: 10}]]);
	});
});
