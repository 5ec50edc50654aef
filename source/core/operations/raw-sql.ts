import {z} from 'zod';
import {defineOperation} from './definition.js';
import {sqlText} from './fields.js';
import {loadSqlParser, sqlParserLoaded} from '../lint/sql/parser.js';
import type {CompileContext, Compiled} from './operation.js';
import {deriveDown} from './sql-inverse.js';

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

/**
 * `down` as given; without it, the exact inverse PostgreSQL's parser proves (sql-inverse.ts), when
 * the parser was loaded (prepare does that for every entry point that compiles a plan file).
 */
function rollbackOf(body: z.infer<typeof schema>): {statements: string[]; derived: boolean} {
	if (body.down !== undefined) return {statements: [body.down], derived: false};
	if (!sqlParserLoaded()) return {statements: [], derived: false};
	const inverse = deriveDown(body.up);
	return 'down' in inverse ? {statements: inverse.down, derived: true} : {statements: [], derived: false};
}

/** sql: the escape hatch. Runs as written, in one transaction; `down` (given or derived) is its rollback. */
function compileRawSql(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const concurrent = loneConcurrentStatement(body.up);
	const rollback = rollbackOf(body);
	return {
		steps: [
			{
				phase: body.onComplete ? 'CONTRACTING' : 'EXPANDING',
				operation: ctx.operation,
				kind: concurrent ? 'concurrent' : 'script',
				description: `Run SQL: ${body.up.replace(/\s+/g, ' ').slice(0, 60)}${rollback.derived ? ' (down derived)' : ''}`,
				forward: [body.up],
				rollback: rollback.statements,
				irreversible: rollback.statements.length === 0,
				why: [
					concurrent
						? 'A CONCURRENTLY statement may not run in a transaction: it runs alone, waiting for older transactions rather than blocking writes. Its down runs the same way, also to clear a half-built leftover.'
						: 'Raw SQL runs as written: zdm cannot make it safe, so the linter reads it first.',
					...(rollback.derived ? ['It only creates new objects, so its down is derived: drop them again, last first.'] : []),
				].join(' '),
			},
		],
		fragments: [],
	};
}

export const rawSql = defineOperation({
	kind: 'sql',
	schema,
	compile: compileRawSql,
	prepare: loadSqlParser,
	// Raw SQL is opaque to the application versions: lint reads it statement by statement instead.
	versions() {},
});
