import {z} from 'zod';
import {badInput} from '../errors.js';
import {qualified, shown} from '../sql.js';
import {defineOperation} from './definition.js';
import {name} from './fields.js';
import {requireNoDependentObjects, requireTable, type CompileContext, type Compiled} from './operation.js';

const schema = z.strictObject({name});

/**
 * drop_table: gone from the new version's schema at expand; the old application keeps the table
 * until contract drops it. WHY no soft delete (pgroll renames it at start)? The old application
 * reads the base schema itself, not views, so the table must keep its name until it is retired.
 */
function compileDropTable(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].drop_table`;
	const table = requireTable(ctx, body.name, at);
	// DROP TABLE without CASCADE fails on another table's foreign key: say so now, not at contract.
	for (const other of ctx.catalog.tables().map(name => ctx.catalog.table(name)!)) {
		if (other.name === table.name) continue;
		const reference = other.constraints?.find(constraint => constraint.type === 'f' && constraint.references === table.name);
		if (reference) throw badInput(`${at}: foreign key ${shown(reference.name)} of ${shown(other.name)} references ${shown(table.name)}`, 'drop that constraint first (drop_multicolumn_constraint), or that table');
	}

	for (const column of table.columns) requireNoDependentObjects(ctx, table, column.name, at, 'drops with the table');
	ctx.catalog.dropTable(table.name);
	return {
		steps: [
			{
				phase: 'CONTRACTING',
				operation: ctx.operation,
				kind: 'ddl',
				table: table.name,
				final: true,
				irreversible: true,
				retiredAtExpand: true,
				description: `Drop table "${table.name}"`,
				forward: [`DROP TABLE ${qualified(table.schema, table.name)}`],
				rollback: [],
				why: 'The new version has not seen the table since expand; once the old one is retired nothing reads it, and it goes in the last transaction.',
			},
		],
		fragments: [],
	};
}

export const dropTable = defineOperation({
	kind: 'drop_table',
	schema,
	compile: compileDropTable,
	versions: (body, book) => book.dropTable(body.name),
});
