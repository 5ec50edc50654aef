import {physicalName, type ColumnInfo, type TableInfo} from '../catalog.js';
import {z} from 'zod';
import type {StepSpec} from '../plan.js';
import {ident, qualified} from '../sql.js';
import {defineOperation} from './definition.js';
import {name} from './fields.js';
import {requireColumn, requireNoColumn, requireTable, requireUnchanged, type CompileContext, type Compiled} from './operation.js';

/**
 * The contract half of a rename: one `ALTER TABLE … RENAME COLUMN`. Until then the new name is
 * only an alias in the version schema's view, so nothing is copied and no trigger is needed;
 * the rename itself keeps identity, indexes, constraints, comments, grants, statistics and
 * dependent views by construction, because it is the same column.
 */
export function renameAtContract(ctx: CompileContext, table: TableInfo, column: ColumnInfo, to: string): StepSpec {
	const target = qualified(table.schema, table.name);
	const from = physicalName(column);
	column.physical = from;
	column.name = to;
	return {
		phase: 'CONTRACTING',
		operation: ctx.operation,
		kind: 'ddl',
		table: table.name,
		final: true,
		description: `Rename column "${from}" to "${to}" in "${table.name}"`,
		forward: [`ALTER TABLE ${target} RENAME COLUMN ${ident(from)} TO ${ident(to)}`],
		rollback: [`ALTER TABLE ${target} RENAME COLUMN ${ident(to)} TO ${ident(from)}`],
		why: 'The new version has used the new name through its view since expand; only the physical name moves now, in an instant.',
	};
}

const schema = z.strictObject({table: name, from: name, to: name});

/** rename_column: a view alias from expand on, a physical rename at contract. */
function compileRenameColumn(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].rename_column`;
	const table = requireTable(ctx, body.table, at);
	const column = requireColumn(table, body.from, `${at}.from`);
	requireUnchanged(column, `${at}.from`);
	requireNoColumn(table, body.to, `${at}.to`);
	return {steps: [renameAtContract(ctx, table, column, body.to)], fragments: []};
}

export const renameColumn = defineOperation({
	kind: 'rename_column',
	schema,
	compile: compileRenameColumn,
	versions: (body, book) => book.changeColumn(body.table, body.from, {name: body.to}),
});
