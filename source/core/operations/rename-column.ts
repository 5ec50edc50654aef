import type {OperationBody} from '../plan-file.js';
import {ident} from '../sql.js';
import {compileDuplication} from './duplicate.js';
import {requireColumn, requireNoColumn, requireTable, type CompileContext, type Compiled} from './operation.js';

/**
 * rename_column: the new name is a new column kept in step with the old through triggers, so the
 * old application keeps writing "from" while the new one already uses "to".
 */
export function compileRenameColumn(body: OperationBody<'rename_column'>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].rename_column`;
	const table = requireTable(ctx, body.table, at);
	const old = requireColumn(table, body.from, `${at}.from`);
	requireNoColumn(table, body.to, `${at}.to`);
	return compileDuplication(
		{
			at,
			table,
			old,
			shadow: body.to,
			finalName: body.to,
			type: old.type,
			notNull: old.notNull,
			default: old.default,
			up: ident(body.from),
			down: ident(body.to),
			summary: `rename ${body.from} → ${body.to}`,
		},
		ctx,
	);
}
