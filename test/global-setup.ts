import {execFileSync} from 'node:child_process';
import type {TestProject} from 'vitest/node';
import {findPgBin, startPgServer, type PgServer} from './support/pg-server.js';

declare module 'vitest' {
	export interface ProvidedContext {
		/** URL of the shared throwaway server, or '' when no server binaries exist. */
		pgUrl: string;
	}
}

let server: PgServer | undefined;

/** Build the CLI once (the CLI tests run the real dist/cli.js) and start one throwaway server. */
export async function setup(project: TestProject) {
	// The build bundles the dashboard too (scripts/bundle.mjs): tsc alone would leave a stale bundle.
	execFileSync('npm', ['run', '--silent', 'build'], {stdio: 'inherit'});
	if (findPgBin()) {
		server = await startPgServer();
		project.provide('pgUrl', server.url);
	} else {
		console.warn('\n!!! No PostgreSQL server binaries found: tests against a real server are SKIPPED. Install the postgresql package. !!!\n');
		project.provide('pgUrl', '');
	}
}

export async function teardown() {
	await server?.stop();
}
