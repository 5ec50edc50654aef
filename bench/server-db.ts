import pg from 'pg';
import {openPostgres} from '../source/db/postgres.js';
import {seedUsers} from '../source/db/seed.js';
import type {Database} from '../source/db/database.js';
import type {PgServer} from '../test/support/pg-server.js';
import type {WriteStatement} from './writers.js';

/** A fresh database on the bench server with the demo users table, vacuumed and checkpointed. */
export async function seededDatabase(server: PgServer, name: string, rows: number): Promise<{url: string; db: Database}> {
	const admin = new pg.Client({connectionString: server.url});
	await admin.connect();
	await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
	await admin.query(`CREATE DATABASE ${name}`);
	await admin.end();
	const url = server.urlFor(name);
	const db = await openPostgres(url);
	await seedUsers(db, {rows});
	// Both contenders start from the same settled table: all-visible, statistics fresh, nothing dirty.
	await db.query('VACUUM (ANALYZE) users');
	await db.query('CHECKPOINT');
	return {url, db};
}

/** Writers on connections of their own, as an application would have. */
export async function serverWriters(url: string, count: number): Promise<{statementFor: (writer: number) => WriteStatement; backends: number[]; close(): Promise<void>}> {
	const clients = await Promise.all(
		Array.from({length: count}, async () => {
			const client = new pg.Client({connectionString: url, application_name: 'bench-writer'});
			await client.connect();
			return client;
		}),
	);
	// Their server processes, so a contender's CPU time can leave the writers' own out.
	const backends = await Promise.all(clients.map(async client => (await client.query<{pid: number}>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
	return {
		backends,
		statementFor: writer => async (kind, id) => {
			const client = clients[writer]!;
			return kind === 'update'
				? client.query('UPDATE users SET email = $2 WHERE id = $1', [id, `w${writer}-${id}@example.com`])
				: client.query('INSERT INTO users (username, email) VALUES ($1, $2)', [`writer${writer}-${id}`, `writer${writer}@example.com`]);
		},
		async close() {
			await Promise.all(clients.map(async client => client.end()));
		},
	};
}
