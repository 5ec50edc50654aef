// StrykerJS on the modules where a silent bug loses data: `npm run mutate` (not part of npm test).
// Each mutant runs only the tests that reach it (perTest coverage); the reports go to reports/mutation/.
// The machine is shared: one or two Stryker workers, each with its own vitest and throwaway server.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
	testRunner: 'vitest',
	vitest: {configFile: 'vitest.mutation.config.ts'},
	coverageAnalysis: 'perTest',
	mutate: [
		'source/core/backfill.ts',
		'source/core/backfill-sql.ts',
		'source/core/rollback.ts',
		'source/core/executor.ts',
		'source/core/step-run.ts',
		'source/core/step-sql.ts',
		// The version schemas and the sync triggers that tell the versions' writes apart (#8).
		'source/core/versions.ts',
		'source/core/operations/triggers.ts',
	],
	concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
	reporters: ['html', 'json', 'clear-text', 'progress'],
	htmlReporter: {fileName: 'reports/mutation/index.html'},
	jsonReporter: {fileName: 'reports/mutation/mutation.json'},
	tempDirName: '.stryker-tmp',
	// A mutant that makes a backfill loop forever is caught by the timeout, not waited out.
	timeoutMS: 10_000,
	thresholds: {high: 90, low: 80, break: null},
	ignoreStatic: true,
};
