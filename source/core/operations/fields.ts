import {z} from 'zod';

/**
 * The zod pieces several operations share. Field names and defaults follow pgroll's migration
 * files (its schema.json), so a pgroll file runs as is.
 */
export const name = z.string().min(1).max(1000);
// Bounds keep a hostile file from costing more than an error message.
export const sqlText = z.string().min(1).max(1_000_000);
/** pgroll writes "" for an option left out; it means the same here. */
const optionalText = z.string().max(100_000).optional();
const names = z.array(name).min(1).max(32);

export const foreignKeyAction = z.enum(['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT']);
export const matchType = z.enum(['SIMPLE', 'FULL', 'PARTIAL']);

export const checkSchema = z.strictObject({name, constraint: sqlText, no_inherit: z.boolean().optional()});

/** A column's reference: one column of another (or the same) table. */
export const columnReferencesSchema = z.strictObject({
	name,
	table: name,
	column: name,
	on_delete: foreignKeyAction.optional(),
	on_update: foreignKeyAction.optional(),
	match_type: matchType.optional(),
	deferrable: z.boolean().optional(),
	initially_deferred: z.boolean().optional(),
});

export const generatedSchema = z.strictObject({
	expression: optionalText,
	identity: z
		.strictObject({
			sequence_options: optionalText,
			user_specified_values: z.enum(['ALWAYS', 'BY DEFAULT']).optional(),
		})
		.optional(),
});

export const columnSchema = z.strictObject({
	name,
	type: name,
	nullable: z.boolean().optional(),
	default: z.string().max(100_000).nullable().optional(),
	unique: z.boolean().optional(),
	pk: z.boolean().optional(),
	check: checkSchema.optional(),
	references: columnReferencesSchema.optional(),
	comment: z.string().max(100_000).nullable().optional(),
	generated: generatedSchema.optional(),
});

/** A table-level reference: several columns of another table. */
export const tableReferencesSchema = z.strictObject({
	table: name,
	columns: names,
	on_delete: foreignKeyAction.optional(),
	on_update: foreignKeyAction.optional(),
	match_type: matchType.optional(),
	on_delete_set_columns: names.optional(),
});

export const indexParametersSchema = z.strictObject({
	tablespace: optionalText,
	storage_parameters: optionalText,
	include_columns: z.array(name).max(32).optional(),
});

/** A table constraint of create_table. */
export const tableConstraintSchema = z.strictObject({
	name,
	type: z.enum(['unique', 'check', 'primary_key', 'foreign_key', 'exclude']),
	columns: z.array(name).max(32).optional(),
	deferrable: z.boolean().optional(),
	initially_deferred: z.boolean().optional(),
	nulls_not_distinct: z.boolean().optional(),
	no_inherit: z.boolean().optional(),
	check: optionalText,
	references: tableReferencesSchema.optional(),
	exclude: z.strictObject({index_method: optionalText, elements: optionalText, predicate: optionalText}).optional(),
	index_parameters: indexParametersSchema.optional(),
});

/** pgroll's `up` / `down` for several columns: one expression per column. */
export const columnExpressions = z.record(name, sqlText);

export type ColumnDefinition = z.infer<typeof columnSchema>;
export type ColumnReferences = z.infer<typeof columnReferencesSchema>;
export type TableReferences = z.infer<typeof tableReferencesSchema>;
export type TableConstraint = z.infer<typeof tableConstraintSchema>;
export type IndexParameters = z.infer<typeof indexParametersSchema>;
