import {randomBytes} from 'node:crypto';
import pg from 'pg';
import {inject} from 'vitest';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {openPostgres} from '../../source/db/postgres.js';
import {seedUsers} from '../../source/db/seed.js';

export const serverUrl = (): string => inject('pgUrl');

/** A fresh database on the shared server; each test file gets its own so they never collide. */
export async function createServerDatabase(): Promise<{url: string; drop(): Promise<void>}> {
	const base = serverUrl();
	const name = `zdm_test_${randomBytes(5).toString('hex')}`;
	const admin = new pg.Client({connectionString: base});
	await admin.connect();
	await admin.query(`CREATE DATABASE ${name}`);
	await admin.end();
	const url = base.replace(/\/postgres$/, `/${name}`);
	return {
		url,
		async drop() {
			const client = new pg.Client({connectionString: base});
			await client.connect();
			await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
			await client.end();
		},
	};
}

export type Backend = 'pglite' | 'server';

/** The backends to run a suite against: always PGlite, and the server when one is available. */
export const backends = (): Backend[] => (serverUrl() ? ['pglite', 'server'] : ['pglite']);

export async function openBackend(backend: Backend, rows = 200): Promise<{db: Database; url?: string; close(): Promise<void>}> {
	if (backend === 'pglite') {
		const db = await openPglite();
		await seedUsers(db, {rows});
		return {db, close: async () => db.close()};
	}

	const created = await createServerDatabase();
	const db = await openPostgres(created.url);
	await seedUsers(db, {rows});
	return {
		db,
		url: created.url,
		async close() {
			await db.close();
			await created.drop();
		},
	};
}
