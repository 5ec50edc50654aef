import {z} from 'zod';
import {checkIdentifier, ident, qualified} from '../sql.js';
import {defineOperation} from './definition.js';
import {name} from './fields.js';
import {requireNoRelation, requireTable, type CompileContext, type Compiled} from './operation.js';

const schema = z.strictObject({from: name, to: name});

/**
 * rename_table: until contract the new name is only the name of the new version's view over the
 * table; contract renames the table itself, in an instant. Indexes, constraints, triggers,
 * grants and views that read it follow it, as they hold on to the table, not its name.
 */
function compileRenameTable(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].rename_table`;
	const table = requireTable(ctx, body.from, `${at}.from`);
	checkIdentifier(body.to, `${at}.to`);
	requireNoRelation(ctx, body.to, `${at}.to`);
	const {schema: schemaName, name: from} = table;
	ctx.catalog.renameTable(from, body.to);
	return {
		steps: [
			{
				phase: 'CONTRACTING',
				operation: ctx.operation,
				kind: 'ddl',
				table: from,
				final: true,
				description: `Rename table "${from}" to "${body.to}"`,
				forward: [`ALTER TABLE ${qualified(schemaName, from)} RENAME TO ${ident(body.to)}`],
				rollback: [`ALTER TABLE ${qualified(schemaName, body.to)} RENAME TO ${ident(from)}`],
				why: 'The new version has used the new name through its view since expand; only the table\'s own name moves now, in an instant.',
			},
		],
		fragments: [],
	};
}

export const renameTable = defineOperation({
	kind: 'rename_table',
	schema,
	compile: compileRenameTable,
	versions: (body, book) => book.renameTable(body.from, body.to),
});
