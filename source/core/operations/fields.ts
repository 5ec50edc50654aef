import {z} from 'zod';

/**
 * The zod pieces several operations share. Field names and defaults follow pgroll's migration
 * files (its schema.json), so a pgroll file runs as is.
 */
export const name = z.string().min(1).max(1000);
// Bounds keep a hostile file from costing more than an error message.
export const sqlText = z.string().min(1).max(1_000_000);

export const foreignKeyAction = z.enum(['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT']);

export const checkSchema = z.strictObject({name, constraint: sqlText});

export const columnReferencesSchema = z.strictObject({
	name,
	table: name,
	column: name,
	on_delete: foreignKeyAction.optional(),
});

export const columnSchema = z.strictObject({
	name,
	type: name,
	nullable: z.boolean().optional(),
	default: z.string().nullable().optional(),
	unique: z.boolean().optional(),
	pk: z.literal(false).optional(),
	check: checkSchema.optional(),
	references: columnReferencesSchema.optional(),
	comment: z.string().optional(),
});

export type ColumnDefinition = z.infer<typeof columnSchema>;
