// Loaded with --import by the lint CLI tests: any attempt to load a database driver fails loudly,
// proving `lint` without --database-url opens no database (and never loads PGlite).
import {register} from 'node:module';

register(
	'data:text/javascript,' +
		encodeURIComponent(`export async function resolve(specifier, context, next) {
	if (specifier === 'pg' || specifier.startsWith('@electric-sql/pglite')) throw new Error('lint loaded the database driver ' + specifier);
	return next(specifier, context);
}`),
);
