import {ExitCode, ZdmError} from '../core/errors.js';
import type {Database} from '../db/database.js';
import type {Io} from './io.js';
import {baseSchema, checkFlags, type CommandFlags} from './options.js';

import type {CommandName} from './names.js';

export {commands, type CommandName} from './names.js';

const needs: Record<CommandName, string | undefined> = {
	run: 'a plan file',
	start: 'a plan file',
	complete: 'a migration id',
	rollback: 'a migration id',
	status: undefined,
	latest: undefined,
	plan: 'a plan file',
	lint: 'a plan file, .sql file or directory',
	seed: undefined,
	rehearse: 'a plan file',
	migrate: 'a directory of migrations',
	convert: 'a .sql file',
	baseline: 'a migration id',
	pull: 'a directory',
};

/** What each command's missing argument looks like, for the hint. */
const examples: Partial<Record<CommandName, string>> = {migrate: 'db/migrations', convert: 'db/migrations/003_add_index.sql', baseline: '000_baseline', pull: 'db/migrations'};

/** Run one headless command; returns the exit code. Opens and always closes the database. */
export async function runCommand(name: CommandName, args: string[], rawFlags: CommandFlags, io: Io, signal: AbortSignal): Promise<number> {
	const flags = checkFlags(rawFlags);
	const target = args[0];
	if (needs[name] && !target) throw new ZdmError('bad-input', `zdm-tui ${name} needs ${needs[name]}`, `e.g. zdm-tui ${name} ${examples[name] ?? (needs[name]?.startsWith('a plan file') ? 'samples/add-display-name.yaml' : 'MIG-001')}`);
	if (name === 'lint') {
		// WHY before opening a database? lint opens one only when --database-url asks for it.
		const {lint} = await import('./lint.js');
		return lint(args, flags, io);
	}

	if (name !== 'rehearse' && (flags.from !== undefined || flags.rehearseFrom !== undefined || flags.copyRows !== undefined)) {
		throw new ZdmError('bad-input', `--from, --rehearse-from and --copy-rows go with rehearse, not ${name}`, 'e.g. zdm-tui rehearse PLAN --from URL, or zdm-tui PLAN --rehearse-from URL for the dashboard');
	}

	if (name === 'rehearse') {
		// Its database is a copy it makes itself, not one the flags open.
		if (args.length > 1) throw new ZdmError('bad-input', `unexpected argument "${args.at(-1)}"`, `see zdm-tui --help`);
		const {rehearse} = await import('./rehearse.js');
		return rehearse(target!, flags, io, signal);
	}

	// Neither needs a database: a deploy script may run them before it can reach one.
	if (name === 'convert' || (name === 'latest' && flags.local !== undefined)) {
		if (args.length > (name === 'convert' ? 1 : 0)) throw new ZdmError('bad-input', `unexpected argument "${args.at(-1)}"`, `see zdm-tui --help`);
		if (name === 'convert') return (await import('./convert.js')).convert(target!, flags, io);
		return (await import('./history.js')).latestLocal(flags.local!, io, flags.json, baseSchema(flags));
	}

	if (args.length > (needs[name] ? 1 : name === 'status' ? 1 : 0)) throw new ZdmError('bad-input', `unexpected argument "${args.at(-1)}"`, `see zdm-tui --help`);
	if (name === 'seed' && !flags.yes && !io.interactive) throw new ZdmError('bad-input', 'refusing to seed without a terminal to confirm it', 'pass --yes to confirm');
	// WHY load these here, while the database connects? `lint` (above) needs none of them, and
	// connecting waits on the server while loading keeps this thread busy: together they take the
	// longer of the two, not the sum (about a fifth of a run's start-up, measured).
	const loading = Promise.all([import('../db/seed.js'), import('./format.js'), import('./migrate.js'), import('./prepare.js'), import('./status.js'), import('../db/base-schema.js')]);
	const {openDatabase} = await import('../db/open.js');
	let db: Database;
	try {
		db = await openDatabase({databaseUrl: flags.databaseUrl ?? process.env.DATABASE_URL, dataDir: flags.dataDir, rows: name === 'seed' ? 0 : flags.rows, schema: flags.schema});
	} catch (error) {
		await loading.catch(() => {});
		throw error;
	}

	try {
		const [{seedUsers}, {formatFinding, formatPlan}, {migrate}, {preparePlan}, {latest, status}, {requireBaseSchema}] = await loading;
		const schema = baseSchema(flags);
		// complete and rollback take the schema their migration was started in; status only filters by it.
		// The embedded database's seed creates the schema; on a server it must be there already.
		if (['run', 'start', 'plan', 'latest', 'migrate', 'baseline'].includes(name) || (name === 'seed' && db.kind === 'server')) await requireBaseSchema(db, schema);
		switch (name) {
			case 'run':
			case 'start':
			case 'complete':
			case 'rollback': {
				return await migrate(name, target!, db, flags, io, signal);
			}

			case 'status': {
				return await status(db, io, flags.json, target, flags.schema);
			}

			case 'latest': {
				return await latest(db, io, flags.json, schema);
			}

			case 'seed': {
				const seeded = await seedUsers(db, {rows: flags.rows ?? 1000, force: flags.force || (db.kind === 'embedded' && !flags.dataDir), schema});
				io.out(flags.json ? JSON.stringify({type: 'seed', table: 'users', schema, rows: seeded.rows, database: db.label}) : `seeded ${schema === 'public' ? '' : `${schema}.`}users with ${seeded.rows} rows on ${db.label}`);
				return ExitCode.ok;
			}

			case 'migrate': {
				return await (await import('./migrate-dir.js')).migrateDir(target!, db, flags, io, signal);
			}

			case 'baseline': {
				return await (await import('./history.js')).baseline(target!, db, flags, io, schema);
			}

			case 'pull': {
				return await (await import('./history.js')).pull(target!, db, flags, io, schema);
			}

			case 'plan': {
				const prepared = await preparePlan(db, target!, flags.allow, undefined, schema);
				if (flags.json) io.out(JSON.stringify({plan: prepared.plan, findings: prepared.findings}));
				else for (const line of [...formatPlan(prepared.plan), '', ...prepared.findings.map(formatFinding)]) io.out(line);
				return ExitCode.ok;
			}
		}
	} finally {
		await db.close();
	}
}

