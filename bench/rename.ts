import {compilePlan} from '../source/core/compile.js';
import {Executor} from '../source/core/executor.js';
import {readPlanFile} from '../source/core/plan-file.js';
import {readCatalog} from '../source/db/catalog.js';
import type {Database} from '../source/db/database.js';
import type {PgServer} from '../test/support/pg-server.js';
import {seededDatabase} from './server-db.js';

export interface RenameComparison {
	rows: number;
	sizeBefore: number;
	zdm: {startMs: number; completeMs: number; sizeAfter: number};
	/** What the first release did: a shadow column, kept in sync by a trigger, backfilled, swapped in. */
	copy: {ms: number; sizeAfter: number};
	/** The floor: one hand-written RENAME, nothing else. */
	plain: {ms: number};
}

const size = async (db: Database) => Number((await db.query<{size: string}>("SELECT pg_total_relation_size('users')::text AS size")).rows[0]!.size);

async function timed(work: () => Promise<unknown>): Promise<number> {
	const started = performance.now();
	await work();
	return performance.now() - started;
}

/**
 * The first release's copy-based rename, statement for statement as it planned it: add the new
 * column, a trigger copying writes across, a batched backfill by key range, then drop the old
 * column in one transaction. Run here by hand, so both ways are measured in one run.
 */
async function copyRename(db: Database) {
	await db.query('ALTER TABLE users ADD COLUMN contact_email text');
	await db.script(`CREATE FUNCTION copy_email() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.contact_email := NEW.email; RETURN NEW; END $$;
		CREATE TRIGGER copy_email BEFORE INSERT OR UPDATE ON users FOR EACH ROW WHEN (current_setting('zdm.backfill', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION copy_email();`);
	const {rows} = await db.query<{last: string}>('SELECT max(id)::text AS last FROM users');
	const last = Number(rows[0]!.last);
	for (let after = 0; after < last; after += 10_000) {
		await db.transaction(async tx => {
			await tx.query("SELECT set_config('zdm.backfill', 'on', true)");
			await tx.query('UPDATE users SET contact_email = email WHERE id > $1 AND id <= $2', [after, after + 10_000]);
		});
	}

	await db.transaction(async tx => {
		await tx.query('DROP TRIGGER copy_email ON users');
		await tx.query('DROP FUNCTION copy_email()');
		await tx.query('ALTER TABLE users DROP COLUMN email');
	});
}

/** A rename of `email` on `rows` rows three ways, each on a freshly seeded database of its own. */
export async function compareRename(server: PgServer, rows: number): Promise<RenameComparison> {
	const zdm = await seededDatabase(server, 'bench_rename_zdm', rows);
	let result: RenameComparison;
	try {
		const sizeBefore = await size(zdm.db);
		const {plan} = compilePlan(readPlanFile('samples/rename-email.yaml'), await readCatalog(zdm.db));
		const executor = await Executor.open(zdm.db, plan);
		const startMs = await timed(async () => executor.run('CONTRACTING'));
		const completeMs = await timed(async () => executor.run());
		result = {rows, sizeBefore, zdm: {startMs, completeMs, sizeAfter: await size(zdm.db)}, copy: {ms: 0, sizeAfter: 0}, plain: {ms: 0}};
	} finally {
		await zdm.db.close();
	}

	const copy = await seededDatabase(server, 'bench_rename_copy', rows);
	try {
		result.copy.ms = await timed(async () => copyRename(copy.db));
		result.copy.sizeAfter = await size(copy.db);
	} finally {
		await copy.db.close();
	}

	const plain = await seededDatabase(server, 'bench_rename_plain', rows);
	try {
		result.plain.ms = await timed(async () => plain.db.query('ALTER TABLE users RENAME COLUMN email TO contact_email'));
	} finally {
		await plain.db.close();
	}

	return result;
}
