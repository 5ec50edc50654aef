import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {expect} from 'vitest';
import {preparePlan} from '../../source/commands/prepare.js';
import {ZdmError} from '../../source/core/errors.js';
import {tableDefinition, tableHash} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';

const scratch = mkdtempSync(join(tmpdir(), 'zdm-plans-'));
let written = 0;

/** A plan as a file, as the commands read it. */
export function writePlan(plan: object): string {
	const path = join(scratch, `plan-${++written}.json`);
	writeFileSync(path, JSON.stringify(plan));
	return path;
}

/** Every table's definition and rows, and every schema: equal snapshots, nothing changed. */
export async function snapshot(db: Database): Promise<string[]> {
	const {rows} = await db.query<{name: string; kind: string}>(
		"SELECT c.relname AS name, n.nspname AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 2, 1",
	);
	const tables = rows.filter(row => row.kind === 'public');
	return [
		rows.map(row => `${row.kind}.${row.name}`).join(','),
		...(await Promise.all(tables.map(async row => `${await tableDefinition(db, row.name)}\n${await tableHash(db, row.name)}`))),
	];
}

/** Preparing the plan is refused as the CLI would exit: code 2, one line, and nothing changed. */
export async function expectRefused(db: Database, plan: object, pattern: RegExp): Promise<string> {
	const before = await snapshot(db);
	const error = await preparePlan(db, writePlan(plan)).then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error, 'the plan was accepted').toBeInstanceOf(ZdmError);
	const line = (error as ZdmError).oneLine();
	expect((error as ZdmError).exitCode).toBe(2);
	expect(line).not.toContain('\n');
	expect(line).toMatch(pattern);
	expect(await snapshot(db)).toEqual(before);
	return line;
}
