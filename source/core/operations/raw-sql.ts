import type {OperationBody} from '../plan-file.js';
import type {CompileContext, Compiled} from './operation.js';

/** sql: the escape hatch. Runs as written, in one transaction; `down` is its rollback. */
export function compileRawSql(body: OperationBody<'sql'>, ctx: CompileContext): Compiled {
	return {
		steps: [
			{
				phase: body.onComplete ? 'CONTRACTING' : 'EXPANDING',
				operation: ctx.operation,
				kind: 'script',
				description: `Run SQL: ${body.up.replace(/\s+/g, ' ').slice(0, 60)}`,
				forward: [body.up],
				rollback: body.down === undefined ? [] : [body.down],
				irreversible: body.down === undefined,
				why: 'Raw SQL runs as written: zdm cannot make it safe, so the linter reads it first.',
			},
		],
		fragments: [],
	};
}
