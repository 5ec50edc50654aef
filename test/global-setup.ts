import {execFileSync} from 'node:child_process';
import type {TestProject} from 'vitest/node';
import {missingServerParts, isCi, setup as startServer, teardown as stopServer} from './server-setup.js';

/** Build the CLI once (the CLI tests run the real dist/cli.js), then start the throwaway server (server-setup.ts). */
export async function setup(project: TestProject) {
	// Refuse before a build costs time: under CI a missing server fails the run (server-setup.ts).
	if (isCi() && missingServerParts()) return startServer(project);
	// The build bundles the dashboard too (scripts/bundle.mjs): tsc alone would leave a stale bundle.
	execFileSync('npm', ['run', '--silent', 'build'], {stdio: 'inherit'});
	return startServer(project);
}

export const teardown = stopServer;
