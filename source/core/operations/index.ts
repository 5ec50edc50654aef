import type {z} from 'zod';
import type {Catalog} from '../catalog.js';
import type {PlanFile} from '../plan-file.js';
import {addColumn} from './add-column.js';
import {alterColumn} from './alter-column.js';
import {createConstraint} from './create-constraint.js';
import {createIndex} from './create-index.js';
import {createTable} from './create-table.js';
import type {OperationDefinition} from './definition.js';
import {dropColumn} from './drop-column.js';
import {dropConstraint, dropMulticolumnConstraint} from './drop-constraint.js';
import {dropIndex} from './drop-index.js';
import {dropTable} from './drop-table.js';
import type {CompileContext, Compiled} from './operation.js';
import {rawSql} from './raw-sql.js';
import {renameColumn} from './rename-column.js';
import {renameConstraint} from './rename-constraint.js';
import {renameTable} from './rename-table.js';
import {setReplicaIdentity} from './set-replica-identity.js';
import {VersionBook, type Need} from './version-book.js';

/** The registry: every operation a plan file may use, one line each. */
export const operations = [
	createTable,
	dropTable,
	renameTable,
	addColumn,
	renameColumn,
	alterColumn,
	dropColumn,
	createIndex,
	dropIndex,
	createConstraint,
	dropConstraint,
	dropMulticolumnConstraint,
	renameConstraint,
	setReplicaIdentity,
	rawSql,
] as const;

type Definition = (typeof operations)[number];
type Entry<D> = D extends OperationDefinition<infer K, infer S> ? {kind: K; body: z.infer<S>} : never;

export type OperationKind = Definition['kind'];
export type PlanOperation = Entry<Definition>;
export type OperationBody<K extends OperationKind> = Extract<PlanOperation, {kind: K}>['body'];

export const operationKinds: OperationKind[] = operations.map(definition => definition.kind);

const byKind = new Map<string, OperationDefinition>(operations.map(definition => [definition.kind, definition as unknown as OperationDefinition]));

/** The definition of a kind, or undefined for a name no operation has. */
export const operationDefinition = (kind: string): OperationDefinition | undefined => byKind.get(kind);

export function compileOperation(op: PlanOperation, ctx: CompileContext): Compiled {
	return byKind.get(op.kind)!.compile(op.body, ctx);
}

/** Load what the plan's operations need to compile (compilePlan itself is synchronous). */
export async function prepareOperations(file: Pick<PlanFile, 'operations'>): Promise<void> {
	for (const op of file.operations) await byKind.get(op.kind)!.prepare?.(op.body);
}

/** How the old and the new application version see each table the plan touches. */
export function planVersions(file: Pick<PlanFile, 'operations'>, catalog: Catalog, assume?: (need: Need) => void): VersionBook {
	const book = new VersionBook(catalog, assume);
	for (const op of file.operations) byKind.get(op.kind)!.versions(op.body, book);
	return book;
}
