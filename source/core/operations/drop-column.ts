import type {OperationBody} from '../plan-file.js';
import type {StepSpec} from '../plan.js';
import {ident, qualified} from '../sql.js';
import {checkExpression, requireColumn, requireTable, type CompileContext, type Compiled} from './operation.js';
import {assignBlock, rowTrigger} from './triggers.js';

/**
 * drop_column: nothing breaks until contract. With `down`, expand installs a trigger that fills the
 * column for rows the new application writes without it, so the old one keeps reading real values.
 */
export function compileDropColumn(body: OperationBody<'drop_column'>, ctx: CompileContext): Compiled {
	const at = `operations[${ctx.operation}].drop_column`;
	const table = requireTable(ctx, body.table, at);
	const old = requireColumn(table, body.column, `${at}.column`);
	const target = qualified(table.schema, table.name);
	const col = ident(old.name);
	const steps: StepSpec[] = [];
	const finish: string[] = [];
	let fragments: Compiled['fragments'] = [];
	if (body.down !== undefined) {
		const down = checkExpression(body.down, `${at}.down`);
		const trigger = rowTrigger(ctx.migrationId, ctx.operation, table, `\tIF NEW.${col} IS NULL THEN\n${assignBlock(table, old.name, down)}\n\tEND IF;`);
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
		fragments = [{what: `${at}.down`, table: structuredClone(table), expression: down, castTo: old.type}];
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
