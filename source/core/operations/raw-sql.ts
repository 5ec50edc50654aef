import {z} from 'zod';
import {defineOperation} from './definition.js';
import {sqlText} from './fields.js';
import type {CompileContext, Compiled} from './operation.js';

const schema = z.strictObject({up: sqlText, down: sqlText.optional(), onComplete: z.boolean().optional()});

/** The SQL with comments, string literals, quoted names and dollar-quoted bodies taken out. */
const bare = (sql: string) => sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\w*)\$[\s\S]*?\$\1\$/g, ' ');

/**
 * One statement that says CONCURRENTLY (CREATE / DROP INDEX, REINDEX, DETACH PARTITION): PostgreSQL
 * refuses it inside a transaction, so it runs alone, outside one. Several statements stay a script,
 * and the linter asks for the CONCURRENTLY one to get an operation of its own.
 */
export function loneConcurrentStatement(sql: string): boolean {
	const code = bare(sql).trim().replace(/;\s*$/, '');
	return /\bconcurrently\b/i.test(code) && !code.includes(';');
}

/** sql: the escape hatch. Runs as written, in one transaction; `down` is its rollback. */
function compileRawSql(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const concurrent = loneConcurrentStatement(body.up);
	return {
		steps: [
			{
				phase: body.onComplete ? 'CONTRACTING' : 'EXPANDING',
				operation: ctx.operation,
				kind: concurrent ? 'concurrent' : 'script',
				description: `Run SQL: ${body.up.replace(/\s+/g, ' ').slice(0, 60)}`,
				forward: [body.up],
				rollback: body.down === undefined ? [] : [body.down],
				irreversible: body.down === undefined,
				why: concurrent
					? 'A CONCURRENTLY statement may not run in a transaction: it runs alone, waiting for older transactions rather than blocking writes. Its down runs the same way, also to clear a half-built leftover.'
					: 'Raw SQL runs as written: zdm cannot make it safe, so the linter reads it first.',
			},
		],
		fragments: [],
	};
}

export const rawSql = defineOperation({
	kind: 'sql',
	schema,
	compile: compileRawSql,
	// Raw SQL is opaque to the application versions: lint reads it statement by statement instead.
	versions() {},
});
