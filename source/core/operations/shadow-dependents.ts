import type {Check} from '../checks.js';
import type {ColumnInfo, DependentInfo, SequenceInfo, TableInfo} from '../catalog.js';
import {badInput} from '../errors.js';
import type {StepSpec} from '../plan.js';
import {ident, literal, ownedName, qualified, shortHash, shown} from '../sql.js';
import {parseTypeName} from '../type-change.js';
import type {PendingConstraint} from './constraints.js';
import {dependentObjectKinds, type CompileContext} from './operation.js';
import {retargetConstraint, retargetIndex, retargetStatistics} from './retarget.js';

/**
 * Everything the old column has, carried to the shadow column that replaces it, so that after
 * contract the table is what a hand-written `ALTER TABLE … ALTER COLUMN … TYPE` leaves: the same
 * indexes, constraints, statistics, sequence, comment, grants and settings under the same names.
 *
 * Nothing that scans or builds runs in the contract's exclusive transaction: indexes are built
 * CONCURRENTLY after the backfill, constraints are added NOT VALID and validated before contract,
 * and contract only drops, renames and attaches what is ready (`USING INDEX`, RENAME CONSTRAINT).
 */
export interface CarriedDependents {
	/** In the step that adds the shadow column: its comment, grants, settings and statistics objects. */
	expand: string[];
	expandRollback: string[];
	/** Concurrent index builds, after the backfill. */
	builds: StepSpec[];
	/** Added NOT VALID and validated before contract, under a name of zdm's. */
	constraints: PendingConstraint[];
	/** Contract, before the old column is dropped. */
	beforeDrop: string[];
	/** Contract, once the shadow column has its final name and NOT NULL. */
	afterRename: string[];
	/** Found before the first step (checks.ts). */
	checks: Check[];
	/** Other tables contract alters (those whose foreign keys reference the column), to lock before this one. */
	lockFirst: string[];
	/** What the new version's view gives an insert that leaves the column out, when the column has no default of its own. */
	viewDefault?: string;
}

/** A column that a shadow column of a new type replaces at contract. */
export interface ShadowColumn {
	at: string;
	table: TableInfo;
	old: ColumnInfo;
	/** The column that runs beside the old one until contract. */
	shadow: string;
	/** The name it finally takes (the shadow's own, or the old name once that is dropped). */
	finalName: string;
	type: string;
	notNull: boolean;
	/** The default the final column gets; undefined keeps none. */
	default: string | null;
}

const integerTypes = new Set(['int2', 'int4', 'int8']);

export function carryDependents(d: ShadowColumn, ctx: CompileContext): CarriedDependents {
	const {table, old, shadow} = d;
	const target = qualified(table.schema, table.name);
	const carried: CarriedDependents = {expand: [], expandRollback: [], builds: [], constraints: [], beforeDrop: [], afterRename: [], checks: [], lockFirst: []};
	const owned = (prefix: string, name: string) => ownedName(prefix, name, ctx.migrationId, table.name, old.name);

	// WHY refuse? The shadow is a plain column: its values would stop following the expression.
	if (old.generated) throw badInput(`${d.at}: ${shown(old.name)} is a generated column, which a shadow column cannot replace`, 'drop it and add it again with the new type, in migrations of their own');
	// The column's own: these go with the column through the final rename.
	if (old.comment !== undefined) carried.expand.push(`COMMENT ON COLUMN ${target}.${ident(shadow)} IS ${literal(old.comment)}`);
	if (old.statistics !== undefined) carried.expand.push(`ALTER TABLE ${target} ALTER COLUMN ${ident(shadow)} SET STATISTICS ${old.statistics}`);
	if (old.options?.length) carried.expand.push(`ALTER TABLE ${target} ALTER COLUMN ${ident(shadow)} SET (${old.options.join(', ')})`);
	for (const grant of old.grants ?? []) {
		carried.expand.push(`GRANT ${grant.privilege} (${ident(shadow)}) ON ${target} TO ${grant.grantee === 'PUBLIC' ? 'PUBLIC' : ident(grant.grantee)}${grant.grantable ? ' WITH GRANT OPTION' : ''}`);
	}

	if (old.sequence) carrySequence(d, old.sequence, ctx, carried);

	for (const dependent of table.dependents ?? []) {
		if (!dependent.columns.includes(old.name) || dependentObjectKinds.has(dependent.kind)) continue;
		if (dependent.carried) {
			throw badInput(`${d.at}: ${dependent.kind} ${shown(dependent.name)} also covers a column an earlier operation of this migration changes`, 'change those columns in separate migrations');
		}

		dependent.carried = true;
		switch (dependent.kind) {
			case 'index': {
				carryIndex(d, dependent, owned('_zdm_idx', dependent.name), ctx, carried);
				break;
			}

			case 'check':
			case 'foreign key': {
				const name = owned(dependent.kind === 'check' ? '_zdm_chk' : '_zdm_fk', dependent.name);
				carried.constraints.push({name, definition: retargetConstraint(definitionOf(d, dependent), old.name, shadow), notValid: !dependent.validated, label: `${dependent.kind} "${dependent.name}" again`});
				carried.afterRename.push(`ALTER TABLE ${target} RENAME CONSTRAINT ${ident(name)} TO ${ident(dependent.name)}`, ...constraintComment(dependent, target));
				break;
			}

			case 'referenced by': {
				carryReference(d, dependent, owned('_zdm_fk', dependent.name), ctx, carried);
				break;
			}

			case 'statistics': {
				const schema = dependent.schema ?? table.schema;
				const name = owned('_zdm_stx', dependent.name);
				carried.expand.push(retargetStatistics(definitionOf(d, dependent), old.name, shadow, schema, name));
				if (dependent.statisticsTarget !== undefined) carried.expand.push(`ALTER STATISTICS ${qualified(schema, name)} SET STATISTICS ${dependent.statisticsTarget}`);
				if (dependent.comment !== undefined) carried.expand.push(`COMMENT ON STATISTICS ${qualified(schema, name)} IS ${literal(dependent.comment)}`);
				carried.expandRollback.push(`DROP STATISTICS IF EXISTS ${qualified(schema, name)}`);
				carried.afterRename.push(`ALTER STATISTICS ${qualified(schema, name)} RENAME TO ${ident(dependent.name)}`);
				break;
			}

			default: {
				break;
			}
		}
	}

	return carried;
}

function definitionOf(d: ShadowColumn, dependent: DependentInfo): string {
	if (dependent.definition === undefined) throw badInput(`${d.at}: the definition of ${dependent.kind} ${shown(dependent.name)} was not read`, 'read the catalog again');
	return dependent.definition;
}

const constraintComment = (dependent: DependentInfo, on: string, comment = dependent.comment) =>
	comment === undefined ? [] : [`COMMENT ON CONSTRAINT ${ident(dependent.name)} ON ${on} IS ${literal(comment)}`];

/**
 * An index is built again over the shadow column, concurrently, under a name of zdm's; contract
 * gives it the old one's name, or makes it the UNIQUE / PRIMARY KEY constraint the old one backed.
 */
function carryIndex(d: ShadowColumn, index: DependentInfo, tmp: string, ctx: CompileContext, carried: CarriedDependents) {
	const {table} = d;
	const target = qualified(table.schema, table.name);
	// WHY refuse? PostgreSQL has no ADD CONSTRAINT … EXCLUDE USING INDEX: the constraint could only be
	// built again inside contract, scanning the whole table under its ACCESS EXCLUSIVE lock.
	if (index.constraintType === 'exclude') {
		throw badInput(
			`${d.at}: ${shown(d.old.name)} is part of exclusion constraint ${shown(index.name)}, which cannot move to a new column without a long exclusive lock`,
			'drop it in a migration of its own first, and add it again after complete',
		);
	}

	carried.builds.push({
		phase: 'MIGRATING',
		operation: ctx.operation,
		kind: 'concurrent',
		table: table.name,
		description: `Build ${index.constraintType ?? (index.unique ? 'unique index' : 'index')} "${index.name}" again on "${d.shadow}", concurrently`,
		forward: [
			retargetIndex(definitionOf(d, index), d.old.name, d.shadow, tmp, index.tablespace),
			...(index.comment === undefined ? [] : [`COMMENT ON INDEX ${qualified(table.schema, tmp)} IS ${literal(index.comment)}`]),
		],
		rollback: [`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(table.schema, tmp)}`],
		why: `The old column takes "${index.name}" with it at contract; its twin is built now, from PostgreSQL's own definition, without blocking writes.`,
	});
	if (index.constraintType === undefined) {
		carried.afterRename.push(`ALTER INDEX ${qualified(table.schema, tmp)} RENAME TO ${ident(index.name)}`);
	} else {
		// The index is ready and the column NOT NULL already: attaching it is a catalog change, no scan.
		const deferrable = index.deferrable ? ` DEFERRABLE${index.deferred ? ' INITIALLY DEFERRED' : ''}` : '';
		const kind = index.constraintType === 'primary key' ? 'PRIMARY KEY' : 'UNIQUE';
		carried.afterRename.push(`ALTER TABLE ${target} ADD CONSTRAINT ${ident(index.constraint ?? index.name)} ${kind} USING INDEX ${ident(tmp)}${deferrable}`);
		carried.afterRename.push(...constraintComment({...index, name: index.constraint ?? index.name}, target, index.constraintComment));
	}

	if (index.clustered) carried.afterRename.push(`ALTER TABLE ${target} CLUSTER ON ${ident(index.name)}`);
	if (index.replicaIdentity) carried.afterRename.push(`ALTER TABLE ${target} REPLICA IDENTITY USING INDEX ${ident(index.name)}`);
}

/**
 * A foreign key of another table (or of this one) that references the old column: a twin that
 * references the shadow column's unique index is added NOT VALID and validated before contract;
 * contract drops the old one (the old column could not go while it stands) and renames the twin.
 *
 * WHY re-point rather than retype the referencing column? A hand-written ALTER … TYPE leaves the
 * referencing columns as they are, and PostgreSQL accepts an int column referencing a bigint key;
 * retyping them would rewrite every referencing table, each its own type change. An `int` that
 * references a key now `bigint` holds until the keys pass 2^31: widen it in a migration of its own.
 * A referencing type that cannot be compared with the new type at all is refused before anything runs.
 */
function carryReference(d: ShadowColumn, fk: DependentInfo, tmp: string, ctx: CompileContext, carried: CarriedDependents) {
	const referencing = fk.referencing!;
	const on = qualified(referencing.schema, referencing.table);
	const mirror = ctx.catalog.schema === referencing.schema ? ctx.catalog.table(referencing.table)?.dependents?.find(other => other.kind === 'foreign key' && other.name === fk.name) : undefined;
	if (mirror?.carried) {
		throw badInput(`${d.at}: foreign key ${shown(fk.name)} of ${shown(referencing.table)} references ${shown(d.old.name)} and also a column an earlier operation of this migration changes`, 'change those columns in separate migrations');
	}

	if (mirror) mirror.carried = true;
	for (const [i, column] of fk.columns.entries()) {
		if (column !== d.old.name) continue;
		const type = referencing.types[i]!;
		carried.checks.push({
			what: d.at,
			sql: `SELECT 0::bigint AS count, NULL::text AS key, NULL::text AS value WHERE (NULL::${type} = NULL::${d.type}) IS NOT NULL`,
			problem: () => '',
			failing: `foreign key ${shown(fk.name)} of ${shown(referencing.table)}.${shown(referencing.columns[i]!)} (${type}) cannot reference ${d.type}`,
			hint: `change ${shown(referencing.table)}.${shown(referencing.columns[i]!)} first, in a migration of its own`,
		});
	}

	carried.constraints.push({name: tmp, definition: retargetConstraint(definitionOf(d, fk), d.old.name, d.shadow, 'referenced'), on, notValid: !fk.validated, label: `foreign key "${fk.name}" of "${referencing.table}" again`});
	if (on !== qualified(d.table.schema, d.table.name) && !carried.lockFirst.includes(on)) carried.lockFirst.push(on);
	carried.beforeDrop.push(`ALTER TABLE ${on} DROP CONSTRAINT ${ident(fk.name)}`);
	carried.afterRename.push(`ALTER TABLE ${on} RENAME CONSTRAINT ${ident(tmp)} TO ${ident(fk.name)}`, ...constraintComment(fk, on));
}

/** A column's integer type (as parseTypeName names it) → the sequence type that fits it. */
const sequenceTypes: Record<string, string> = {int2: 'smallint', int4: 'integer', int8: 'bigint'};
const rank = (type: string) => ['smallint', 'integer', 'bigint'].indexOf(type);

const typeBounds: Record<string, [string, string]> = {
	smallint: ['-32768', '32767'],
	integer: ['-2147483648', '2147483647'],
	bigint: ['-9223372036854775808', '9223372036854775807'],
};

/**
 * A serial's sequence changes owner before the old column goes (or it would go with it); an
 * identity's sequence cannot, so the new column gets an identity of its own under the same name,
 * the same options, and the old one's position, carried across the drop in a transaction-local
 * setting. Its bounds follow the type as PostgreSQL's own ALTER … TYPE has them: a bound that was
 * the old type's limit becomes the new type's.
 */
function carrySequence(d: ShadowColumn, sequence: SequenceInfo, ctx: CompileContext, carried: CarriedDependents) {
	const {table} = d;
	const target = qualified(table.schema, table.name);
	const name = qualified(sequence.schema, sequence.name);
	if (!sequence.identity) {
		carried.beforeDrop.push(`ALTER SEQUENCE ${name} OWNED BY ${target}.${ident(d.shadow)}`);
		// WHY widen it? PostgreSQL's ALTER … TYPE leaves a serial's sequence AS integer, so an
		// int → bigint key still stops at 2^31 - 1: the very limit the change was for. Its bounds
		// follow the type where they were the old one's limits (ALTER SEQUENCE … AS does that).
		const widened = sequenceTypes[parseTypeName(d.type).name];
		if (widened && rank(widened) > rank(sequence.type)) carried.afterRename.push(`ALTER SEQUENCE ${name} AS ${widened}`);
		return;
	}

	if (!integerTypes.has(parseTypeName(d.type).name)) throw badInput(`${d.at}: ${shown(d.old.name)} is an identity column, which must stay smallint, integer or bigint`, `drop its identity in a migration of its own first`);
	if (d.default !== null) throw badInput(`${d.at}: ${shown(d.old.name)} is an identity column and cannot also have a default`, 'leave "default" out');
	if (!d.notNull) throw badInput(`${d.at}: ${shown(d.old.name)} is an identity column and must stay NOT NULL`, 'leave "nullable" out');
	// The new version's inserts leave the column out: the view numbers them from the same sequence.
	carried.viewDefault = `nextval(${literal(name)}::regclass)`;
	const position = `zdm.identity_${shortHash(ctx.migrationId, table.name, d.old.name)}`;
	const [low, high] = typeBounds[sequence.type] ?? ['', ''];
	const ascending = !sequence.increment.startsWith('-');
	const min = (ascending ? sequence.min === '1' : sequence.min === low) ? 'NO MINVALUE' : `MINVALUE ${sequence.min}`;
	const max = (ascending ? sequence.max === high : sequence.max === '-1') ? 'NO MAXVALUE' : `MAXVALUE ${sequence.max}`;
	carried.beforeDrop.push(
		// The view's default holds on to the old sequence, which goes with the old column.
		`ALTER VIEW ${qualified(ctx.versionSchema, table.name)} ALTER COLUMN ${ident(d.finalName)} DROP DEFAULT`,
		// NULL until the sequence was first used. A function, not a read of the sequence as a table: instant.
		`SELECT set_config(${literal(position)}, COALESCE(pg_sequence_last_value(${literal(name)}::regclass)::text, ''), true)`,
	);
	carried.afterRename.push(
		`ALTER TABLE ${target} ALTER COLUMN ${ident(d.finalName)} ADD GENERATED ${sequence.identity} AS IDENTITY (SEQUENCE NAME ${name} START WITH ${sequence.start} INCREMENT BY ${sequence.increment} ${min} ${max} CACHE ${sequence.cache}${sequence.cycle ? ' CYCLE' : ' NO CYCLE'})`,
		`SELECT setval(${literal(name)}, COALESCE(NULLIF(current_setting(${literal(position)}), '')::bigint, ${sequence.start}), current_setting(${literal(position)}) <> '')`,
	);
}
