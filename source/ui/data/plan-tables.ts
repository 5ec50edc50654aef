import type {TableVersions} from '../../core/operations/version-book.js';
import type {MigrationPhase} from '../../core/phase.js';
import type {Step} from '../../core/plan.js';
import type {VersionName} from '../../traffic/index.js';
import {tableTouched, type PlanTable} from '../state/plan-tables.js';
import type {WindowRequest} from './users-window.js';

/**
 * The tables the plan touches, in the order its operations touch them, each under the names the
 * registry says each version knows it by (`versions`: planVersions' tables); then any a step
 * names that the registry does not follow, under its one name.
 */
export function planTables(versions: TableVersions[], schema: string, steps: Step[]): PlanTable[] {
	const tables: PlanTable[] = versions.map(each => ({schema: each.schema, v1: each.v1?.name, v2: each.v2?.name}));
	for (const {table} of steps) {
		if (table !== undefined && !tables.some(each => tableTouched(each, table))) tables.push({schema, v1: table, v2: table});
	}

	return tables;
}

/** What the panel reads for a table, as a version sees it now; `absent` when that version has no such table. */
export function tableOnScreen(table: PlanTable, version: VersionName, phase: MigrationPhase | undefined, schemas: Record<VersionName, string> | undefined, baseSchema: string): Pick<WindowRequest, 'schema' | 'table' | 'missing' | 'absent'> {
	const name = (table.v2 ?? table.v1)!;
	if (version === 'v2') {
		const schema = schemas?.v2 ?? baseSchema;
		if (table.v2 === undefined) return {schema, table: name, absent: `not in this version (the plan drops it${phase === 'COMPLETE' ? '' : '; tab: v1 until complete'})`};
		const early = phase === undefined || phase === 'PENDING' || phase === 'EXPANDING' || phase === 'ROLLED_BACK';
		return {schema, table: table.v2, missing: early ? "v2's schema appears at the end of expand (tab: v1's view)" : 'not in this version'};
	}

	// Once complete, the base schema holds the tables as v2 knows them; v1's own schema may be gone.
	if (phase === 'COMPLETE') {
		return table.v2 === undefined ? {schema: baseSchema, table: name, absent: 'not in this version (dropped at complete)'} : {schema: baseSchema, table: table.v2};
	}

	const schema = schemas?.v1 ?? baseSchema;
	if (table.v1 === undefined) return {schema, table: name, absent: 'not in this version (the plan creates it; tab: v2)'};
	return {schema, table: table.v1, missing: 'not in this version'};
}
