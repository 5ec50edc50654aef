import {existsSync} from 'node:fs';
import {join} from 'node:path';
import type {TestProject} from 'vitest/node';
import {findPgBin, startPgServer, type PgServer} from './support/pg-server.js';

declare module 'vitest' {
	export interface ProvidedContext {
		/** URL of the shared throwaway server, or '' when no server binaries exist. */
		pgUrl: string;
		/**
		 * The run is CI's (CI=true where vitest started): nothing may be skipped for a missing
		 * PostgreSQL or pg_dump. Read here because vitest.config gives the workers CI=false.
		 */
		ci: boolean;
	}
}

let server: PgServer | undefined;

export const isCi = (value = process.env.CI) => value !== undefined && /^(1|true|yes)$/i.test(value.trim());

/** What is missing for the server tests and pg_dump comparisons, if anything. */
export function missingServerParts(): string | undefined {
	const bin = findPgBin();
	if (!bin) return 'No PostgreSQL server binaries (initdb, postgres) found';
	return existsSync(join(bin, 'pg_dump')) ? undefined : `No pg_dump beside the server binaries in ${bin}`;
}

/**
 * Start one throwaway server for the run. Without the server binaries or pg_dump, the server and
 * pg_dump tests are skipped with a loud notice locally; under CI the run fails instead, so it
 * cannot go green having tested less. (Also the whole global setup of the mutation run, which
 * needs no build: its tests import the source.)
 */
export async function setup(project: TestProject) {
	const ci = isCi();
	project.provide('ci', ci);
	const missing = missingServerParts();
	if (missing && ci) throw new Error(`${missing}, and CI=true: the server tests and the pg_dump comparisons cannot be skipped under CI. Install the postgresql package (or set PG_BIN).`);
	if (findPgBin()) {
		server = await startPgServer();
		project.provide('pgUrl', server.url);
	} else {
		project.provide('pgUrl', '');
	}

	if (missing) console.warn(`\n!!! ${missing}: tests against a real server or comparing pg_dump output are SKIPPED or weakened. Install the postgresql package. !!!\n`);
}

export async function teardown() {
	await server?.stop();
}
