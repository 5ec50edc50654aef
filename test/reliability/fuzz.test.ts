import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import fc from 'fast-check';
import type pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {compilePlanWithParser} from '../../source/core/compile.js';
import {ZdmError} from '../../source/core/errors.js';
import {parsePlanText, validatePlan} from '../../source/core/plan-file.js';
import {validateFragments} from '../../source/core/validate.js';
import {readCatalog, tableDefinition, tableHash} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {serverUrl} from '../support/databases.js';
import {brokenPlan, categories, type FuzzCase} from './plan-arbitraries.js';
import {rowsHash, runToEnd, seed, useServerDatabase} from './support.js';

/**
 * Plan files fuzzed with fast-check: wrong types, missing fields, unknown operations, huge values,
 * binary garbage, deep nesting and expressions that are not one expression. Every case is bad
 * input: a ZdmError with exit code 2 and a one-line message, and the database is untouched.
 */

/** What preparePlan does with a file: parse, validate, compile against the catalog, prove the SQL. */
async function prepare(db: Database, input: FuzzCase) {
	const file = input.kind === 'text' ? parsePlanText(input.text, input.source) : validatePlan(input.document, 'fuzz.json');
	const compiled = await compilePlanWithParser(file, await readCatalog(db));
	await validateFragments(db, compiled.fragments);
	return compiled;
}

function expectBadInput(error: unknown, input: FuzzCase) {
	if (!(error instanceof ZdmError)) throw new Error(`${input.what}: not a ZdmError but ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 200)}` : String(error)}`);
	expect(error.exitCode, `${input.what}: ${error.oneLine()}`).toBe(2);
	const line = error.oneLine();
	expect(line, input.what).not.toMatch(/[\n\r\u2028\u2029]/);
	expect(line.length, input.what).toBeLessThan(1000);
	expect(line, input.what).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
}

describe('fuzzed plan files, in process on PGlite', () => {
	let db: Database;
	let before: {definition: string; hash: string};

	beforeAll(async () => {
		db = await openPglite();
		await seedUsers(db, {rows: 50});
		before = {definition: await tableDefinition(db, 'users'), hash: await tableHash(db, 'users')};
	});

	afterAll(async () => db?.close());

	it('1,200 broken plans: each is refused as bad input in one line, and nothing changes', async () => {
		const seen = new Map<string, number>();
		await fc.assert(
			fc.asyncProperty(brokenPlan, async input => {
				const category = input.what.split(' ').slice(0, 2).join(' ');
				seen.set(category, (seen.get(category) ?? 0) + 1);
				let refused: unknown;
				try {
					await prepare(db, input);
				} catch (error) {
					refused = error;
				}

				if (refused === undefined) throw new Error(`${input.what}: accepted`);
				expectBadInput(refused, input);
			}),
			{numRuns: 1200},
		);
		expect(seen.size).toBeGreaterThan(10);
		expect(await tableDefinition(db, 'users')).toBe(before.definition);
		expect(await tableHash(db, 'users')).toBe(before.hash);
		const {rows} = await db.query<{exists: boolean}>("SELECT to_regnamespace('zdm') IS NOT NULL AS exists");
		expect(rows[0]!.exists).toBe(false);
	});

	it('each category on its own is refused too (so none hides behind the others)', async () => {
		for (const [name, arbitrary] of Object.entries(categories)) {
			await fc.assert(
				fc.asyncProperty(arbitrary, async input => {
					const refused = await prepare(db, input).then(
						() => undefined,
						(error: unknown) => error,
					);
					if (refused === undefined) throw new Error(`${name}: ${input.what}: accepted`);
					expectBadInput(refused, input);
				}),
				{numRuns: 40},
			);
		}
	});
});

describe.skipIf(!serverUrl())('fuzzed plan files through the real CLI on a server', () => {
	let url: string;
	let app: pg.Client;
	const scratch = mkdtempSync(join(tmpdir(), 'zdm-fuzz-'));

	useServerDatabase(server => ({url, app} = server));

	beforeAll(async () => {
		await seed(app, 200);
	});

	afterAll(() => {
		rmSync(scratch, {recursive: true, force: true});
	});

	// The seed is printed, and every failure message names it: ZDM_FUZZ_SEED=N replays the same cases.
	// (The in-process properties above need nothing: fc.assert reports its seed and path on failure.)
	const fuzzSeed = process.env.ZDM_FUZZ_SEED ? Number(process.env.ZDM_FUZZ_SEED) : Date.now() % 100_000;

	it('30 sampled cases: exit 2, one line on stderr, no stack trace, database untouched', async () => {
		console.info(`CLI fuzz seed ${fuzzSeed} (replay: ZDM_FUZZ_SEED=${fuzzSeed} npx vitest run test/reliability/fuzz.test.ts)`);
		const definition = await tableDefinition({query: async (sql, params) => app.query(sql, params).then(r => ({rows: r.rows, rowCount: r.rowCount ?? 0})), script: async () => {}}, 'users');
		const rows = await rowsHash(app, '*');
		const cases = fc.sample(brokenPlan, {numRuns: 30, seed: fuzzSeed});
		const files = cases.map((input, index) => {
			const path = join(scratch, input.kind === 'text' ? `case${index}-${input.source}` : `case${index}.json`);
			writeFileSync(path, input.kind === 'text' ? input.text : JSON.stringify(input.document));
			return {input, path};
		});
		// Four at a time: each is a node process of its own.
		for (let i = 0; i < files.length; i += 4) {
			await Promise.all(
				files.slice(i, i + 4).map(async ({input, path}) => {
					const result = await runToEnd(['run', path, '--yes', '--database-url', url]);
					const stderr = result.stderr.trimEnd();
					const about = `seed ${fuzzSeed}, ${input.what}: ${stderr}`;
					expect(result.code, about).toBe(2);
					expect(stderr.split('\n'), about).toHaveLength(1);
					expect(stderr, about).toMatch(/^zdm-tui: .+/);
					expect(stderr, about).not.toMatch(/\bat .*:\d+:\d+/);
					expect(result.lines.join('\n'), about).not.toMatch(/EXPANDING|ROLLED_BACK/);
				}),
			);
		}

		expect(await tableDefinition({query: async (sql, params) => app.query(sql, params).then(r => ({rows: r.rows, rowCount: r.rowCount ?? 0})), script: async () => {}}, 'users')).toBe(definition);
		expect(await rowsHash(app, '*'), `seed ${fuzzSeed}`).toBe(rows);
		const {rows: schema} = await app.query("SELECT to_regnamespace('zdm') IS NOT NULL AS exists");
		expect(schema[0].exists, 'bad input created the zdm schema').toBe(false);
	});
});
