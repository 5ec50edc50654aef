import type {ColumnDef, Constraint, CreateStmt, Node, NullTest, RenameStmt, TypeCast} from 'libpg-query';
import type {Catalog} from '../../catalog.js';
import type {PlanFile} from '../../plan-file.js';
import {planVersions} from '../../operations/index.js';
import {assumedCatalog} from '../assumed-catalog.js';
import type {SqlUnit} from './analysis.js';
import {defaultPgVersion} from '../rule.js';
import {builtinVolatility, isNotNull, type VolatilityOf} from './columns.js';
import {alterCommands, body, kindOf, names, relationName, typeKey, type TypeKey} from './nodes.js';
import {accessExclusiveTable} from './locks.js';
import {parseSql, type ParsedStatement} from './parser.js';

/** A CHECK (column IS NOT NULL) constraint and where it was proved. */
interface NotNullCheck {
	table: string;
	column: string;
	/** Index of the unit that validated it; undefined while NOT VALID. */
	validatedIn?: number;
}

/**
 * What the plan has done to the schema so far, as the linter needs it: which tables it created
 * (new tables have no readers to block), column types (to judge type changes), which NOT NULL
 * checks are validated, and what the current transaction holds.
 */
export class SchemaState {
	private readonly created = new Set<string>();
	private readonly types = new Map<string, TypeKey>();
	private readonly notNull = new Set<string>();
	private readonly checks = new Map<string, NotNullCheck>();
	private readonly fileTypes = new Map<string, string>();
	/** Columns dropped or renamed away: what the catalog says of them no longer holds. */
	private readonly gone = new Set<string>();
	private unitIndex = -1;
	private inTransaction = true;
	/** Constraints added NOT VALID in the current transaction. */
	readonly notValidHere = new Set<string>();
	/** The first statement of the current transaction that took ACCESS EXCLUSIVE on an existing table. */
	accessExclusive?: {table: string; text: string};

	/** The PostgreSQL major version the SQL will run on. */
	readonly pgVersion: number;
	/** How volatile a function is (the database's catalog, or PostgreSQL's built-ins). */
	readonly volatility: VolatilityOf;

	constructor(
		private readonly catalog: Catalog | undefined,
		file: PlanFile,
		options: {pgVersion?: number; volatility?: VolatilityOf} = {},
	) {
		this.pgVersion = options.pgVersion ?? defaultPgVersion;
		this.volatility = options.volatility ?? builtinVolatility;
		// The columns the plan's operations add, as the new version knows them (their types are not in the catalog).
		const before = catalog ?? assumedCatalog(file);
		for (const {v2} of planVersions(file, before).tables) {
			for (const column of v2?.columns ?? []) {
				if (!before.table(v2!.name)?.columns.some(known => known.name === column.name)) this.fileTypes.set(key(v2!.name, column.name), column.type);
			}
		}
	}

	enter(unit: SqlUnit) {
		this.unitIndex += 1;
		this.notValidHere.clear();
		this.accessExclusive = undefined;
		// Outside a transaction every statement commits alone: nothing is held between them.
		this.inTransaction = unit.inTransaction;
	}

	/** Created by this plan: no application reads or writes it yet. */
	isNew = (table: string) => this.created.has(table);

	columnType(table: string, column: string): TypeKey | undefined {
		const known = this.types.get(key(table, column));
		if (known || this.gone.has(key(table, column))) return known;
		const spelled = this.catalog?.table(table)?.columns.find(c => c.name === column)?.type ?? this.fileTypes.get(key(table, column));
		return spelled === undefined ? undefined : parseType(spelled);
	}

	isNotNull = (table: string, column: string) =>
		this.notNull.has(key(table, column)) || (!this.gone.has(key(table, column)) && this.catalog?.table(table)?.columns.find(c => c.name === column)?.notNull === true);

	/** A validated CHECK (column IS NOT NULL) exists, so SET NOT NULL needs no scan (PostgreSQL 12+; before, it scans anyway). */
	hasValidatedNotNullCheck = (table: string, column: string) =>
		this.pgVersion >= 12 &&
		[...this.checks.values()].some(check => check.table === table && check.column === column && check.validatedIn !== undefined);

	apply(statement: ParsedStatement) {
		const {node} = statement;
		const kind = kindOf(node);
		if (kind === 'CreateStmt') this.createTable(body<CreateStmt>(node, kind)!);
		if (kind === 'CreateTableAsStmt') this.created.add(relationName(body<{into?: {rel?: {relname?: string}}}>(node, kind)?.into?.rel));
		if (kind === 'RenameStmt') this.rename(body<RenameStmt>(node, kind)!);
		if (kind === 'AlterTableStmt') this.alterTable(node);
		const lockedTable = accessExclusiveTable(node);
		if (this.inTransaction && lockedTable !== undefined && !this.isNew(lockedTable)) this.accessExclusive ??= {table: lockedTable, text: statement.text};
	}

	private createTable(create: CreateStmt) {
		const table = relationName(create.relation);
		this.created.add(table);
		for (const element of create.tableElts ?? []) {
			const column = body<ColumnDef>(element, 'ColumnDef');
			if (column) this.addColumn(table, column);
		}
	}

	private addColumn(table: string, column: ColumnDef) {
		if (column.colname) this.gone.delete(key(table, column.colname));
		const type = typeKey(column.typeName);
		if (type && column.colname) this.types.set(key(table, column.colname), type);
		if (column.colname && isNotNull(column)) this.notNull.add(key(table, column.colname));
	}

	private rename(rename: RenameStmt) {
		const table = relationName(rename.relation);
		if (rename.renameType === 'OBJECT_TABLE' && this.isNew(table) && rename.newname) this.created.add(rename.newname);
		if (rename.renameType !== 'OBJECT_COLUMN' || !rename.subname || !rename.newname) return;
		// zdm's own contract renames a shadow column to the old name: its type, NOT NULL and checks move with it.
		const [from, to] = [rename.subname, rename.newname];
		const type = this.columnType(table, from);
		const notNull = this.isNotNull(table, from);
		this.dropColumn(table, from);
		this.gone.add(key(table, to));
		if (type) this.types.set(key(table, to), type);
		if (notNull) this.notNull.add(key(table, to));
		for (const check of this.checks.values()) if (check.table === table && check.column === from) check.column = to;
	}

	private dropColumn(table: string, column: string) {
		this.types.delete(key(table, column));
		this.notNull.delete(key(table, column));
		this.gone.add(key(table, column));
	}

	private alterTable(node: Node) {
		const table = relationName(body<{relation?: {relname?: string}}>(node, 'AlterTableStmt')?.relation);
		for (const cmd of alterCommands(node)) {
			const column = body<ColumnDef>(cmd.def, 'ColumnDef');
			if (cmd.subtype === 'AT_AddColumn' && column) this.addColumn(table, column);
			if (cmd.subtype === 'AT_AlterColumnType' && column && cmd.name) {
				const type = typeKey(column.typeName);
				if (type) this.types.set(key(table, cmd.name), type);
			}

			if (cmd.subtype === 'AT_SetNotNull' && cmd.name) this.notNull.add(key(table, cmd.name));
			if (cmd.subtype === 'AT_DropNotNull' && cmd.name) this.notNull.delete(key(table, cmd.name));
			if (cmd.subtype === 'AT_DropColumn' && cmd.name) this.dropColumn(table, cmd.name);
			const constraint = body<Constraint>(cmd.def, 'Constraint');
			if (cmd.subtype === 'AT_AddConstraint' && constraint) this.addConstraint(table, constraint);
			if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name) {
				const check = this.checks.get(cmd.name);
				if (check) check.validatedIn = this.unitIndex;
			}

			if (cmd.subtype === 'AT_DropConstraint' && cmd.name) this.checks.delete(cmd.name);
		}
	}

	private addConstraint(table: string, constraint: Constraint) {
		const name = constraint.conname;
		if (!name) return;
		if (constraint.skip_validation) this.notValidHere.add(name);
		const column = notNullColumn(constraint);
		if (column) this.checks.set(name, {table, column, validatedIn: constraint.skip_validation ? undefined : this.unitIndex});
	}
}

const key = (table: string, column: string) => `${table}\u0000${column}`;

const parsedTypes = new Map<string, TypeKey | undefined>();

/** A type as the catalog or a plan file spells it ("character varying(320)") → its TypeKey. */
function parseType(spelled: string): TypeKey | undefined {
	if (!parsedTypes.has(spelled)) {
		let type: TypeKey | undefined;
		try {
			const [statement] = parseSql(`SELECT NULL::${spelled}`);
			const target = statement?.node && body<{targetList?: Array<{ResTarget?: {val?: {TypeCast?: TypeCast}}}>}>(statement.node, 'SelectStmt')?.targetList?.[0]?.ResTarget?.val?.TypeCast;
			type = typeKey(target?.typeName);
		} catch {
			type = undefined;
		}

		parsedTypes.set(spelled, type);
	}

	return parsedTypes.get(spelled);
}

/** The column a CHECK (column IS NOT NULL) constraint proves, if that is all it says. */
function notNullColumn(constraint: Constraint): string | undefined {
	if (constraint.contype !== 'CONSTR_CHECK') return undefined;
	const test = body<NullTest>(constraint.raw_expr, 'NullTest');
	if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
	const fields = names(body<{fields?: Node[]}>(test.arg, 'ColumnRef')?.fields);
	return fields.length === 1 ? fields[0] : undefined;
}
