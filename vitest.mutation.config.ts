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
		include: [
			'test/core/backfill.test.ts',
			'test/core/lab.test.ts',
			'test/core/executor.test.ts',
			'test/core/raw-sql.test.ts',
			'test/core/add-column-constraints.test.ts',
			'test/core/alter-column-in-place.test.ts',
			'test/core/multi-operation.test.ts',
			'test/core/samples.test.ts',
			'test/traffic/live-traffic.test.ts',
		],
		globalSetup: ['test/server-setup.ts'],
	},
});
