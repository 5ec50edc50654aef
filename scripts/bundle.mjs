// Runs after tsc (`npm run build`): bundles the dashboard and the headless commands that
// dist/cli.js imports lazily. WHY a bundle? Node resolves and reads Ink's and React's several
// hundred little modules one by one (~430 ms on 2 cores); one file loads in about a third of that,
// so Ink's first frame lands within the 400 ms issue 4 promises. The commands' hundred-odd modules
// (core, lint rules, zod, yaml) took ~130 ms of every `run`'s start-up the same way (issue 12).
import {readdirSync, rmSync} from 'node:fs';
import {basename, resolve} from 'node:path';
import {build} from 'esbuild';

// Both bundles sit one level below dist/, so `../core/errors.js` reaches these from either.
const sharedModules = ['dist/core/errors.js', 'dist/db/seed.js'];
for (const [dir, entry] of [['dist/ui', 'dashboard'], ['dist/commands', 'index']]) {
	const before = readdirSync(dir).filter(name => name.startsWith(`${entry}.chunk-`));
	const written = new Set(Object.keys((await bundle(dir, entry)).metafile.outputs).map(path => basename(path)));
	// Chunk names carry a content hash: drop the previous build's stale ones so none get packed.
	// WHY after the build, not before? A rebuild (npm pack runs one) must never leave a moment
	// without the chunks a running zdm-tui imports; unchanged code keeps the same names.
	for (const name of before) if (!written.has(name)) rmSync(`${dir}/${name}`);
}

async function bundle(dir, entry) {
return build({
	metafile: true,
	entryPoints: [`${dir}/${entry}.js`],
	// Beside the entry, one level below dist/, so relative paths (import.meta.url → ../../samples, ../core/errors.js) still hold.
	outdir: dir,
	entryNames: '[name].bundle',
	// Code behind a dynamic import() (the database drivers) stays in its own file, loaded when used.
	splitting: true,
	chunkNames: `${entry}.chunk-[hash]`,
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	logLevel: 'warning',
	// Packages that load .wasm or data files beside themselves stay in node_modules.
	// (hdr-histogram-js's WebAssembly is a base64 string in its code: it bundles fine.)
	external: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'pg', 'libpg-query'],
	// React's production build, as a published CLI should run; the development one is also slower.
	define: {'process.env.NODE_ENV': '"production"'},
	// Bundled CommonJS (React, …) calls require() for Node's built-ins; an ES module has none.
	banner: {js: "import {createRequire as zdmCreateRequire} from 'node:module'; const require = zdmCreateRequire(import.meta.url);"},
	plugins: [
		{
			// Modules that stay one file outside the bundles: core/errors.js is the one module cli.js
			// loaded, so `error instanceof ZdmError` holds there; db/seed.js's source text keys the
			// embedded database's cache (db/open.ts), which must be the same text whichever bundle runs.
			name: 'shared-modules',
			setup(build) {
				build.onResolve({filter: /(errors|seed)\.js$/}, ({path, resolveDir}) => {
					const shared = sharedModules.find(module => resolve(resolveDir, path) === resolve(module));
					return shared ? {path: `../${shared.replace(/^dist\//, '')}`, external: true} : undefined;
				});
			},
		},
		{
			// Ink imports react-devtools-core (not installed) only when DEV=true; it then warns and goes on.
			name: 'no-react-devtools',
			setup(build) {
				build.onResolve({filter: /^react-devtools-core$/}, () => ({path: 'react-devtools-core', namespace: 'absent'}));
				build.onLoad({filter: /.*/, namespace: 'absent'}, () => ({contents: "throw Object.assign(new Error('react-devtools-core is not installed'), {code: 'ERR_MODULE_NOT_FOUND'});"}));
			},
		},
	],
});
}
