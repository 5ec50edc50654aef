import {z} from 'zod';
import type {StepSpec} from '../plan.js';
import {ident, qualified} from '../sql.js';
import {physicalTable} from '../catalog.js';
import {defineOperation} from './definition.js';
import {name, sqlText} from './fields.js';
import {checkExpression, requireColumn, requireNoDependentObjects, requireTable, requireUnchanged, type CompileContext, type Compiled} from './operation.js';
import {assignBlock, rowTrigger} from './triggers.js';

const schema = z.strictObject({table: name, column: name, down: sqlText.optional()});

/**
 * drop_column: the new version's view leaves the column out at once; the column itself goes at
 * contract. With `down`, expand installs a trigger that fills it for rows the new version writes
 * (it cannot see the column), so the old version keeps reading real values.
 */
function compileDropColumn(body: z.infer<typeof schema>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].drop_column`;
	const table = requireTable(ctx, body.table, at);
	const old = requireColumn(table, body.column, `${at}.column`);
	requireUnchanged(old, `${at}.column`);
	requireNoDependentObjects(ctx, table, old.name, `${at}.column`, 'drops');
	const target = qualified(table.schema, table.name);
	const col = ident(old.name);
	const steps: StepSpec[] = [];
	const finish: string[] = [];
	let fragments: Compiled['fragments'] = [];
	if (body.down !== undefined) {
		const down = checkExpression(body.down, `${at}.down`);
		const rows = physicalTable(table);
		// WHY only a new row (or a NULL)? The new version cannot see the column, so its UPDATE leaves the
		// value the old version reads as it was; recomputing it from down would replace real data.
		const fill = `\tIF TG_OP = 'INSERT' OR NEW.${col} IS NULL THEN\n${assignBlock(rows, old.name, down)}\n\tEND IF;`;
		const trigger = rowTrigger(ctx.migrationId, ctx.operation, rows, fill, 'new', ctx.versionSchema);
		steps.push({
			phase: 'EXPANDING',
			operation: ctx.operation,
			kind: 'ddl',
			table: table.name,
			description: `Fill "${old.name}" from down for rows the new application writes`,
			forward: trigger.create,
			rollback: trigger.drop,
			why: 'The new application no longer writes the column; the old one still reads it, so down fills it in meanwhile.',
		});
		finish.push(...trigger.drop);
		fragments = [{what: `${at}.down`, table: rows, expression: down, castTo: old.type}];
	}

	finish.push(`ALTER TABLE ${target} DROP COLUMN ${col}`);
	steps.push({
		phase: 'CONTRACTING',
		operation: ctx.operation,
		kind: 'ddl',
		table: table.name,
		final: true,
		irreversible: true,
		description: `Drop column "${old.name}" from "${table.name}"`,
		forward: finish,
		rollback: [],
		why: 'Dropping a column is instant but final: it runs last, once no application version reads it.',
	});
	table.columns.splice(table.columns.indexOf(old), 1);
	return {steps, fragments};
}

export const dropColumn = defineOperation({
	kind: 'drop_column',
	schema,
	compile: compileDropColumn,
	versions: (body, book) => book.dropColumn(body.table, body.column),
});
