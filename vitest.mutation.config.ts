import {defineConfig} from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests StrykerJS runs (npm run mutate): those that drive the executor, backfill and rollback
 * in this process. Tests that spawn dist/cli.js cannot see a mutant (it lives in this process's
 * copy of the source), so they are left out, and so is the build: the server is all they need.
 */
export default defineConfig({
	test: {
		...base.test,
		// Kept small: a mutant reached by a whole-plan failure matrix reruns it on two backends, and
		// the machine is shared. The matrices (raw-sql, add-column-constraints, alter-column-in-place,
		// multi-operation) run in npm test; here the focused tests must kill the mutants.
		// backfill-replicas.test.ts starts one replica of its own and spawns nothing (replica-lag.test.ts' CLI tests do).
		include: ['test/core/backfill.test.ts', 'test/core/backfill-replicas.test.ts', 'test/core/backfill-sql.test.ts', 'test/core/backfill-set-aside.test.ts', 'test/core/backfill-keys.test.ts', 'test/core/verify.test.ts', 'test/core/lab.test.ts', 'test/core/executor.test.ts', 'test/core/versions.test.ts', 'test/core/triggers.test.ts', 'test/core/step-sql.test.ts', 'test/core/step-run.test.ts', 'test/traffic/dual-writes.test.ts'],
		globalSetup: ['test/server-setup.ts'],
	},
});
