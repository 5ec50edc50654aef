#!/usr/bin/env node
import meow from 'meow';
import {ExitCode, ZdmError} from './core/errors.js';
import {commands, type CommandName} from './commands/names.js';
import {processIo} from './commands/io.js';
import type {CommandFlags} from './commands/options.js';
import {cliKeyLines} from './ui/keymap.js';

const cli = meow(
	`
  Usage
    $ zdm-tui [PLAN]                 open the dashboard (default: the add-display-name sample
                                     on an embedded demo database)
    $ zdm-tui DIR                    the dashboard over a release: DIR's pending migrations,
                                     one after another (as migrate DIR runs them)
    $ zdm-tui run PLAN               run every step to COMPLETE (lints first)
    $ zdm-tui start PLAN             expand and migrate; stop before contract
    $ zdm-tui complete ID            run the contract phase of a started migration
    $ zdm-tui rollback ID            undo a started migration, newest step first
    $ zdm-tui status [ID] [--json]   every migration with its phase, progress and version schema
    $ zdm-tui latest [--json]        the version schema applications should use now
    $ zdm-tui plan PLAN              print every step's forward and rollback SQL; changes nothing
    $ zdm-tui lint PATH…             safety checks of plan files, .sql files and directories
                                     of them; exit 1 on an error (no database unless
                                     --database-url is given)
    $ zdm-tui seed [--rows N]        create the demo users table (alice, bob and N more)
    $ zdm-tui rehearse PLAN|DIR --from URL
                                     run PLAN, or DIR's chain, on a throwaway embedded
                                     copy of URL's schema (pg_dump; only reads URL), with
                                     generated rows, and time each step at URL's size
    $ zdm-tui PLAN --rehearse-from URL   the same, in the dashboard
    $ zdm-tui migrate DIR            apply a directory's pending migrations in file-name order:
                                     all but the last to COMPLETE, the last left started
                                     (--complete: that one too)
    $ zdm-tui latest --local DIR     the version schema from the directory's files alone
    $ zdm-tui convert FILE.sql       print the plan (YAML) a plain SQL migration becomes
    $ zdm-tui baseline ID            record the current schema as the start of the history
    $ zdm-tui pull DIR               write the applied history out as plan files

  Database (default: a throwaway copy of a cached, embedded PGlite demo database)
    --database-url URL    a PostgreSQL server (or DATABASE_URL)
    --data-dir DIR        keep the embedded database in DIR
    --schema NAME         the schema whose tables plans change (default public); version
                          schemas are NAME_<id>; status lists that schema's migrations,
                          latest answers for it; the embedded demo's users table goes there

  Options
    --rows N              generated demo rows (default 400000: a backfill you can watch)
    --fail-at N           inject a failure when step N runs (shows the rollback)
    --json                one JSON object per line; the last is a summary
    --yes                 confirm changes without a terminal
    --allow RULE          acknowledge a lint rule (repeatable)
    --force               seed: replace an existing users table
    --lock-timeout MS     how long DDL may queue for its lock per attempt (default 500)
    --max-lock-wait MS    give up after retrying this long (default 60000)
    --batch-size N        fix the backfill batch size (default: adapts to ~30 ms batches)
    --batch-ms MS         the batch time the size adapts to (default 30): writers touching
                          its rows wait up to a batch; longer batches fill a little faster
    --backfill-workers N  sessions filling batches at once on a server (default 2)
    --replica URL         a streaming replica to keep within --max-lag: the backfill waits
                          between batches while it replays too far behind (repeatable)
    --max-lag MS          longest replica replay lag the backfill goes on with (default 1000)
    --traffic RATE        simulate the old (v1) and new (v2) application, RATE requests/s
                          each, and report errors, latency and a zero-downtime verdict
                          (run/start: off by default; dashboard: 20; 0 turns it off)
    --wait-threshold MS   longest wait the verdict allows (default: lock timeout + 1000)
    --format FORMAT       lint: text (default), json (= --json) or github (annotations)
    --assume-in-transaction  lint: each .sql file runs in one transaction (as many
                          migration tools run them); default: as psql runs it
    --pg-version N        lint: the PostgreSQL major version (default: the server's, or 15)
    --autoplay            dashboard: run the steps by themselves
    --speed MS            dashboard: autoplay pause between steps (default 1200)
    --from URL            rehearse: the database whose schema is copied (read-only)
    --rehearse-from URL   dashboard: rehearse on a copy of URL's schema
    --copy-rows N         rehearse: copy up to N real rows a table instead of generating
                          them (--rows N: generated rows a table, default 10000)
    --skip-verify         contract without first verifying that every backfilled column
                          holds what up (and down) compute from the old row

  Dashboard keys
${cliKeyLines('    ').join('\n')}

  Exit codes: 0 complete, 1 failed and rolled back, 2 bad input, 3 refused (database busy), 130 interrupted
`,
	{
		importMeta: import.meta,
		allowUnknownFlags: false,
		flags: {
			databaseUrl: {type: 'string'},
			dataDir: {type: 'string'},
			schema: {type: 'string'},
			rows: {type: 'number'},
			failAt: {type: 'number'},
			json: {type: 'boolean', default: false},
			yes: {type: 'boolean', default: false},
			force: {type: 'boolean', default: false},
			allow: {type: 'string', isMultiple: true, default: []},
			lockTimeout: {type: 'number'},
			maxLockWait: {type: 'number'},
			batchSize: {type: 'number'},
			batchMs: {type: 'number'},
			backfillWorkers: {type: 'number'},
			replica: {type: 'string', isMultiple: true, default: []},
			maxLag: {type: 'number'},
			autoplay: {type: 'boolean', default: false},
			speed: {type: 'number'},
			traffic: {type: 'number'},
			waitThreshold: {type: 'number'},
			format: {type: 'string'},
			assumeInTransaction: {type: 'boolean', default: false},
			pgVersion: {type: 'number'},
			from: {type: 'string'},
			rehearseFrom: {type: 'string'},
			copyRows: {type: 'number'},
			complete: {type: 'boolean', default: false},
			local: {type: 'string'},
			skipVerify: {type: 'boolean', default: false},
		},
	},
);

// WHY? `zdm-tui plan … | head` closes the pipe early: stop quietly, as cat does, not with a stack trace.
process.stdout.on('error', error => {
	if ((error as NodeJS.ErrnoException).code === 'EPIPE') process.exit(process.exitCode ?? 0);
	throw error;
});

const controller = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		// First signal: finish the current batch or transaction and save; a second one leaves at once.
		if (++interrupts > 1) process.exit(ExitCode.interrupted);
		controller.abort();
	});
}

async function main(): Promise<number> {
	const [first, ...rest] = cli.input;
	const flags = cli.flags as unknown as CommandFlags;
	if (first && (commands as readonly string[]).includes(first)) {
		// WHY the bundle? See scripts/bundle.mjs. Run from source (tsx), there is none: load the modules.
		const {runCommand} = (await import(import.meta.url.endsWith('.js') ? './commands/index.bundle.js' : './commands/index.js')) as typeof import('./commands/index.js');
		return runCommand(first as CommandName, rest, flags, processIo(), controller.signal);
	}

	if (rest.length > 0) throw new ZdmError('bad-input', `unknown command "${first}"`, `use one of ${commands.join(', ')}, or give a single plan file`);
	// WHY a line before Ink? Loading Ink and React takes about half a second; the person at the
	// terminal sees at once that something is starting. Ink's first frame replaces the line.
	const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
	if (terminal) process.stdout.write('zdm-tui: starting the dashboard…');
	// WHY the bundle? See scripts/bundle.mjs. Run from source (tsx), there is none: load the modules.
	const {dashboard} = (await import(import.meta.url.endsWith('.js') ? './ui/dashboard.bundle.js' : './ui/dashboard.js')) as typeof import('./ui/dashboard.js');
	if (terminal) process.stdout.write('\r\u001B[2K');
	return dashboard(first, flags, controller.signal);
}

try {
	process.exitCode = await main();
} catch (error) {
	if (error instanceof ZdmError) {
		process.stderr.write(`zdm-tui: ${error.oneLine()}\n`);
		process.exitCode = error.exitCode;
	} else {
		const message = error instanceof Error ? error.message : String(error);
		process.stderr.write(`zdm-tui: unexpected error: ${message.split('\n')[0]}${process.env.ZDM_DEBUG ? `\n${(error as Error).stack}` : ' (set ZDM_DEBUG=1 for details)'}\n`);
		process.exitCode = ExitCode.rolledBack;
	}
}
