import type {TableInfo} from '../catalog.js';
import type {StepSpec} from '../plan.js';
import {ident, ownedName, qualified} from '../sql.js';

export interface PendingConstraint {
	name: string;
	/** The constraint's definition, added NOT VALID first. */
	definition: string;
	/** A temporary CHECK that only proves NOT NULL, dropped once SET NOT NULL has used it. */
	notNullOf?: string;
	/** The table it goes on, qualified, when not the step's own (a foreign key of a referencing table). */
	on?: string;
	/** Left NOT VALID, as the constraint it stands in for was. */
	notValid?: boolean;
	/** How the step's description names it, when not by its own name. */
	label?: string;
}

/**
 * NOT NULL, CHECK and FOREIGN KEY the safe way: add NOT VALID (a brief lock, no scan), then
 * VALIDATE (scans without blocking writes). SET NOT NULL then finds a validated CHECK and skips
 * its own full-table scan under an exclusive lock.
 */
export function constraintSteps(operation: number, table: TableInfo, constraints: PendingConstraint[], what: string): StepSpec[] {
	if (constraints.length === 0) return [];
	const target = qualified(table.schema, table.name);
	const validated = constraints.filter(c => !c.notValid);
	const steps: StepSpec[] = [
		{
			phase: 'CONTRACTING',
			operation,
			kind: 'ddl',
			table: table.name,
			description: `Add ${constraints.map(c => c.notNullOf ? `NOT NULL check on ${c.notNullOf}` : (c.label ?? c.name)).join(', ')} NOT VALID on "${table.name}"`,
			forward: constraints.map(c => `ALTER TABLE ${c.on ?? target} ADD CONSTRAINT ${ident(c.name)} ${c.definition} NOT VALID`),
			rollback: constraints.map(c => `ALTER TABLE ${c.on ?? target} DROP CONSTRAINT IF EXISTS ${ident(c.name)}`),
			why: `NOT VALID takes the lock for an instant and checks only new writes; existing rows of ${what} are checked next, without blocking.`,
		},
	];
	if (validated.length === 0) return steps;
	steps.push({
		phase: 'CONTRACTING',
		operation,
		kind: 'ddl',
		table: table.name,
		description: `Validate ${validated.length === 1 ? 'the constraint' : 'the constraints'} against existing rows`,
		forward: validated.map(c => `ALTER TABLE ${c.on ?? target} VALIDATE CONSTRAINT ${ident(c.name)}`),
		rollback: [],
		why: 'VALIDATE scans the table under SHARE UPDATE EXCLUSIVE: reads and writes go on while it checks.',
	});
	return steps;
}

export function notNullCheck(migrationId: string, table: TableInfo, column: string): PendingConstraint {
	return {
		name: ownedName('_zdm_nn', column, migrationId, table.name),
		definition: `CHECK (${ident(column)} IS NOT NULL)`,
		notNullOf: column,
	};
}
