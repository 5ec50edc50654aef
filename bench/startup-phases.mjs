// Run by bench/profile.ts as its own process: where `zdm-tui run` spends its start-up, phase by
// phase, in the built modules (dist/) a user runs. Prints one JSON object.
const started = performance.now();
const laps = {};
let last = started;
const lap = name => {
	const now = performance.now();
	laps[name] = now - last;
	last = now;
};

const url = process.argv[2];
const plan = 'samples/add-display-name.yaml';
await import('meow');
lap('meow (argv)');
const {openDatabase} = await import('../dist/db/open.js');
const {preparePlan} = await import('../dist/commands/prepare.js');
const {Executor} = await import('../dist/core/executor.js');
const state = await import('../dist/db/state.js');
lap('modules (core, lint, db)');
const db = await openDatabase({databaseUrl: url});
lap('connect');
const {readCatalog} = await import('../dist/db/catalog.js');
const {readPlanFile} = await import('../dist/core/plan-file.js');
const {compilePlan} = await import('../dist/core/compile.js');
const file = readPlanFile(plan);
lap('plan file');
const catalog = await readCatalog(db);
lap('catalog reads');
compilePlan(file, catalog);
lap('compile');
const prepared = await preparePlan(db, plan);
lap('catalog + compile + validate + lint (as run does it)');
await state.hasStateSchema(db);
await state.ensureStateSchema(db);
const holder = await state.acquireHolder(db, prepared.plan.id);
await Executor.open(db, prepared.plan, {});
lap('state schema, holder, executor');
const {rows} = await db.query('SELECT count(*) AS count FROM users');
lap(`count(*) of users (${rows[0].count} rows)`);
await holder.release();
await db.close();
const {loadSqlParser, parseSql} = await import('../dist/core/lint/sql/parser.js');
await loadSqlParser();
parseSql('SELECT 1');
lap('SQL parser WASM (only for plans with raw sql)');
process.stdout.write(JSON.stringify(laps));
