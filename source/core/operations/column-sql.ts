import {badInput} from '../errors.js';
import type {ColumnInfo, TableInfo} from '../catalog.js';
import {checkIdentifier, ident, literal, qualified, shown} from '../sql.js';
import {requireReferenceable} from './add-constraint.js';
import {checkClause, deferrable, referencesClause} from './constraint-sql.js';
import type {ColumnDefinition} from './fields.js';
import {checkExpression, enclosed, requireColumn, requireTable, type CompileContext, type Fragment} from './operation.js';
import type {VersionColumn} from './version-book.js';

/** serial and its kin are not types but shorthands for an integer with a sequence default. */
const serials: Record<string, string> = {smallserial: 'smallint', serial2: 'smallint', serial: 'integer', serial4: 'integer', bigserial: 'bigint', serial8: 'bigint'};

export const isSerial = (type: string) => type.trim().toLowerCase() in serials;

/** The type a column of this spelling really has: serial's integer, or the type itself. */
export const storedType = (type: string) => serials[type.trim().toLowerCase()] ?? type;

/** A column a plan file defines, checked field by field as pgroll checks it, refusing what cannot run. */
export function checkColumnFields(column: ColumnDefinition, at: string) {
	checkIdentifier(column.name, `${at}.name`);
	const {generated} = column;
	if (generated?.expression && generated.identity) throw badInput(`${at}.generated: both an expression and an identity`, 'a generated column is either stored (expression) or an identity, not both');
	if ((generated?.expression || generated?.identity) && column.default != null) throw badInput(`${at}.default: a generated column has no default`, 'leave default out, or generated');
	if (generated?.identity && isSerial(column.type)) throw badInput(`${at}.generated: ${shown(column.type)} already numbers its rows`, 'use an integer type for an identity column');
	if (column.pk && column.nullable === true) throw badInput(`${at}.nullable: a primary key column cannot be nullable`, 'leave nullable out of a pk column');
	if (column.check) {
		checkIdentifier(column.check.name, `${at}.check.name`);
		checkExpression(column.check.constraint, `${at}.check.constraint`);
	}

	if (column.references) checkIdentifier(column.references.name, `${at}.references.name`);
	if (column.default != null) checkExpression(column.default, `${at}.default`);
	if (generated?.expression) checkExpression(generated.expression, `${at}.generated.expression`);
}

/** NOT NULL unless nullable (pgroll's default is NOT NULL); identity columns and keys are NOT NULL anyway. */
export const columnNotNull = (column: ColumnDefinition) => column.pk === true || Boolean(column.generated?.identity) || column.nullable !== true;

export function generatedClause(column: ColumnDefinition): string {
	const {generated} = column;
	if (generated?.expression) return ` GENERATED ALWAYS AS ${enclosed(generated.expression)} STORED`;
	if (generated?.identity) {
		const options = generated.identity.sequence_options ? ` (${generated.identity.sequence_options})` : '';
		return ` GENERATED ${generated.identity.user_specified_values ?? 'ALWAYS'} AS IDENTITY${options}`;
	}

	return '';
}

/** The column's foreign key as an inline clause: CONSTRAINT … REFERENCES … */
export function columnReferencesClause(schema: string, column: ColumnDefinition, at: string): string {
	const ref = column.references!;
	return `CONSTRAINT ${ident(ref.name)} ${referencesClause(schema, ref.table, [ref.column], ref, `${at}.references`, [column.name])}${deferrable(ref)}`;
}

/** The column's CHECK as an inline clause. */
export const columnCheckClause = (column: ColumnDefinition) => `CONSTRAINT ${ident(column.check!.name)} ${checkClause(column.check!.constraint, column.check!.no_inherit)}`;

/** The referenced table and column exist (or are being created: `own`), so contract cannot fail for want of them. */
export function requireReferenced(ctx: CompileContext, column: ColumnDefinition, at: string, own?: TableInfo) {
	const ref = column.references;
	if (!ref) return;
	const referenced = own && ref.table === own.name ? own : requireTable(ctx, ref.table, `${at}.references.table`);
	requireColumn(referenced, ref.column, `${at}.references.column`);
	requireReferenceable(referenced, [ref.column], `${at}.references.column`);
}

export const commentOnColumn = (schema: string, table: string, column: string, comment: string | null) =>
	`COMMENT ON COLUMN ${qualified(schema, table)}.${ident(column)} IS ${comment === null ? 'NULL' : literal(comment)}`;

/** Every expression of a column definition, to be proved one expression before anything runs; its type, proved a type. */
export function columnFragments(column: ColumnDefinition, table: TableInfo, at: string): Fragment[] {
	const type = storedType(column.type);
	const fragments: Fragment[] = [{what: `${at}.type`, table: {...table, columns: []}, expression: 'NULL', castTo: type}];
	if (column.default != null) fragments.push({what: `${at}.default`, table: {...table, columns: []}, expression: column.default, castTo: type});
	if (column.check) fragments.push({what: `${at}.check.constraint`, table, expression: column.check.constraint, castTo: 'boolean'});
	if (column.generated?.expression) fragments.push({what: `${at}.generated.expression`, table, expression: column.generated.expression, castTo: type});
	return fragments;
}

/** The column as the working catalog holds it. */
export function columnInfo(column: ColumnDefinition, table: Pick<TableInfo, 'schema' | 'name'>): ColumnInfo {
	// A serial's default, as PostgreSQL will write it: the sequence it creates is named <table>_<column>_seq.
	const sequence = `nextval(${literal(qualified(table.schema, `${table.name}_${column.name}_seq`))}::regclass)`;
	const info: ColumnInfo = {name: column.name, type: storedType(column.type), notNull: columnNotNull(column), default: column.default ?? (isSerial(column.type) ? sequence : null)};
	if (column.generated?.identity) info.identity = true;
	if (column.comment != null) info.comment = column.comment;
	return info;
}

/** The column as an application version reads and writes it. */
export const versionColumn = (column: ColumnDefinition): VersionColumn => ({
	name: column.name,
	type: storedType(column.type),
	notNull: columnNotNull(column),
	hasDefault: column.default != null || isSerial(column.type) || Boolean(column.generated),
});
