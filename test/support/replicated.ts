import pg from 'pg';
import type {Database} from '../../source/db/database.js';
import {openPostgres} from '../../source/db/postgres.js';
import {seedUsers} from '../../source/db/seed.js';
import {startReplica, type PgReplica} from './pg-replica.js';
import {startPgServer, type PgServer} from './pg-server.js';
import {resetMigrations} from './reset.js';

/**
 * A primary of its own with one streaming replica, and a database on it. WHY not a replica of the
 * shared test server? Every other file's backfill would warn about unthrottled replicas, and their
 * WAL would move the lag a test measures.
 */
export async function startReplicated(database: string): Promise<{primary: PgServer; replica: PgReplica; url: string}> {
	const primary = await startPgServer();
	const admin = new pg.Client({connectionString: primary.url});
	await admin.connect();
	await admin.query(`CREATE DATABASE ${database}`);
	await admin.end();
	return {primary, replica: await startReplica(primary.url), url: primary.urlFor(database)};
}

/** The database opened anew, with no migrations and a freshly seeded users table. */
export async function freshUsers(url: string, rows: number): Promise<Database> {
	const db = await openPostgres(url);
	await resetMigrations(db);
	await seedUsers(db, {rows, force: true});
	return db;
}
