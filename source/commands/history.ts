import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import YAML from 'yaml';
import {byName, currentHistory, fingerprint} from '../core/chain.js';
import {ExitCode, ZdmError} from '../core/errors.js';
import {fileId, validatePlan} from '../core/plan-file.js';
import {shown} from '../core/sql.js';
import {versionSchemaName} from '../core/versions.js';
import {readAppliedHistory, saveBaseline} from '../db/chain-state.js';
import type {Database} from '../db/database.js';
import {schemaDdl} from '../db/schema-ddl.js';
import {acquireHolder, activeMigration, ensureStateSchema, hasStateSchema, loadMigration} from '../db/state.js';
import {readChainFiles} from '../services/chain.js';
import type {Io} from './io.js';
import {confirm} from './migrate.js';
import type {CommandFlags} from './options.js';

/*
 * The history as files and back (#11): `baseline ID` records the schema as it is as the start of
 * the history, without running anything; `pull DIR` writes the applied history out as plan
 * files; `latest --local DIR` reads the version schema from the files alone.
 */

const idPattern = /^[\w.:-]{1,100}$/;

/** The statements as one `sql` operation's text. */
const script = (statements: string[], empty: string) => (statements.length > 0 ? `${statements.join(';\n')};` : empty);

/** `zdm-tui baseline ID`: the current schema, recorded as a COMPLETE migration that ran nothing. */
export async function baseline(id: string, db: Database, flags: CommandFlags, io: Io, schema = 'public'): Promise<number> {
	if (!idPattern.test(id)) throw new ZdmError('bad-input', `${shown(id)} is not a migration id`, 'use letters, digits, "_", "-", "." or ":" (1–100), e.g. 000_baseline');
	if (await hasStateSchema(db)) {
		const existing = await loadMigration(db, id);
		if (existing && existing.phase !== 'ROLLED_BACK') throw new ZdmError('bad-input', `migration ${id} is already in the history (${existing.phase})`, 'give the baseline an id of its own');
		const active = await activeMigration(db);
		if (active) throw new ZdmError('bad-input', `migration ${active.id} is active (${active.phase}): a baseline records a settled schema`, `finish it first: zdm-tui complete ${active.id}, or zdm-tui rollback ${active.id}`);
	}

	await confirm(io, flags, db, `record baseline ${id}`);
	const ddl = await schemaDdl(db, schema);
	// WHY check_function_bodies off? Functions come before the tables their bodies may read, as pg_dump orders them.
	const document = {
		title: `baseline: the ${schema} schema as it was`,
		operations: [{sql: {up: script(['SET LOCAL check_function_bodies = false', ...ddl.create], ''), down: script(ddl.drop, '-- the schema held nothing to remove')}}],
	};
	const plan = validatePlan(document, `${id}.yaml`);
	await ensureStateSchema(db);
	const holder = await acquireHolder(db, id);
	try {
		await db.transaction(async tx => saveBaseline(tx, {id, title: plan.title, schema, fingerprint: fingerprint(plan), document}));
	} catch (error) {
		if ((error as {code?: string}).code === '23505') throw new ZdmError('bad-input', `migration ${id} is already in the history`, 'give the baseline an id of its own');
		throw error;
	} finally {
		await holder.release();
	}

	if (flags.json) io.out(JSON.stringify({type: 'baseline', id, schema, statements: ddl.create.length, database: db.label}));
	else io.out(`baseline ${id} recorded on ${db.label}: the ${schema} schema as it is (${ddl.create.length} statements), nothing run; migrate DIR goes on from here`);
	return ExitCode.ok;
}

/** The ids of the migration files a directory holds already. */
const idsIn = (dir: string) => new Set(existsSync(dir) ? readdirSync(dir).filter(name => /\.(ya?ml|json|sql)$/i.test(name)).map(fileId) : []);

/** `zdm-tui pull DIR`: the applied history (from the newest baseline on) as plan files; files already there are left alone. */
export async function pull(dir: string, db: Database, flags: CommandFlags, io: Io, schema = 'public'): Promise<number> {
	const history = currentHistory(await readAppliedHistory(db, schema));
	const there = idsIn(dir);
	mkdirSync(dir, {recursive: true});
	let written = 0;
	for (const migration of history) {
		if (there.has(migration.id)) continue;
		if (!migration.document) {
			io.err(`warning: ${migration.id} has no stored plan (an older zdm-tui applied it); not written`);
			continue;
		}

		const path = join(dir, `${migration.id}.${flags.json ? 'json' : 'yaml'}`);
		writeFileSync(path, flags.json ? `${JSON.stringify(migration.document, null, 2)}\n` : YAML.stringify(migration.document, {lineWidth: 0}));
		written++;
		if (!flags.json) io.out(`wrote ${path} (${migration.phase}${migration.baseline ? ', baseline' : ''})`);
	}

	const kept = history.filter(migration => there.has(migration.id)).length;
	if (flags.json) io.out(JSON.stringify({type: 'pull', dir, written, alreadyThere: kept, applied: history.length}));
	else io.out(`pulled ${written} migration${written === 1 ? '' : 's'} into ${dir}${kept > 0 ? ` (${kept} already there)` : ''}`);
	return ExitCode.ok;
}

/** `zdm-tui latest --local DIR`: the version schema of the directory's last migration, from the files alone. */
export async function latestLocal(dir: string, io: Io, json: boolean, schema = 'public'): Promise<number> {
	const last = (await readChainFiles(dir)).sort(byName).at(-1)!;
	const versionSchema = versionSchemaName(schema, last.id, last.plan.versionSchema);
	io.out(json ? JSON.stringify({schema: versionSchema, migration: last.id, local: true}) : versionSchema);
	return ExitCode.ok;
}
