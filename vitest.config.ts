import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		testTimeout: 60_000,
		hookTimeout: 120_000,
		// PGlite instances are large; two workers fit the 2-core CI machine.
		maxWorkers: 2,
		globalSetup: ['test/global-setup.ts'],
		// The dashboard is for a person at a terminal; with CI=true Ink renders only a last frame, so
		// the UI tests would test a mode nobody sees. CI machines set it; the test workers unset it.
		env: {CI: 'false'},
	},
});
