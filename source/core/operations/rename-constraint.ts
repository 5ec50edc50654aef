import {z} from 'zod';
import {badInput} from '../errors.js';
import {checkIdentifier, ident, qualified, shown} from '../sql.js';
import {defineOperation} from './definition.js';
import {name} from './fields.js';
import {requireNoRelation, requireTable, type CompileContext, type Compiled} from './operation.js';

const schema = z.strictObject({table: name, from: name, to: name});

/** rename_constraint: at contract, as pgroll does: the constraint keeps its name while the migration is active. */
function compileRenameConstraint(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].rename_constraint`;
	const table = requireTable(ctx, body.table, at);
	checkIdentifier(body.from, `${at}.from`);
	checkIdentifier(body.to, `${at}.to`);
	const constraint = table.constraints?.find(known => known.name === body.from);
	if (!constraint) throw badInput(`${at}.from: ${shown(table.name)} has no constraint ${shown(body.from)}`, `existing constraints: ${(table.constraints ?? []).map(known => shown(known.name)).join(', ') || 'none'}`);
	if (table.constraints!.some(known => known.name === body.to)) throw badInput(`${at}.to: ${shown(table.name)} already has a constraint ${shown(body.to)}`, 'choose another name');
	// Renaming a constraint backed by an index renames the index too: that name must be free in the schema.
	const index = table.indexes?.find(known => known.constraint === body.from);
	if (index) requireNoRelation(ctx, body.to, `${at}.to`);
	constraint.name = body.to;
	if (index) {
		index.name = body.to;
		index.constraint = body.to;
	}

	const target = qualified(table.schema, table.name);
	return {
		steps: [
			{
				phase: 'CONTRACTING',
				operation: ctx.operation,
				kind: 'ddl',
				table: table.name,
				final: true,
				description: `Rename constraint "${body.from}" of "${table.name}" to "${body.to}"`,
				forward: [`ALTER TABLE ${target} RENAME CONSTRAINT ${ident(body.from)} TO ${ident(body.to)}`],
				rollback: [`ALTER TABLE ${target} RENAME CONSTRAINT ${ident(body.to)} TO ${ident(body.from)}`],
				why: 'A name changes in the catalog only: an instant, in the last transaction.',
			},
		],
		fragments: [],
	};
}

export const renameConstraint = defineOperation({
	kind: 'rename_constraint',
	schema,
	compile: compileRenameConstraint,
	versions: (body, book) => book.needsConstraint(body.table, body.from),
});
