import type {z} from 'zod';
import type {CompileContext, Compiled} from './operation.js';
import type {VersionBook} from './version-book.js';

/**
 * Everything zdm knows about one operation kind, in the operation's own file; the registry
 * (index.ts) lists them, and the plan file, the compiler, the traffic simulator and lint take
 * what they need from there.
 */
export interface OperationDefinition<K extends string = string, S extends z.ZodType = z.ZodType> {
	/** The key in the plan file: pgroll's name for it. */
	kind: K;
	/** Its fields, as pgroll's schema.json has them. */
	schema: S;
	/**
	 * Its steps, compiled against the working catalog; and its effect on that catalog (the
	 * tables and columns as the new version knows them), which later operations of the same plan
	 * and the version schema's views are compiled from.
	 */
	compile(body: z.infer<S>, ctx: CompileContext): Compiled;
	/** What must be loaded before compile, which is synchronous (the SQL parser, say). */
	prepare?(body: z.infer<S>): Promise<void>;
	/** How the old and the new application version see the tables it touches. */
	versions(body: z.infer<S>, book: VersionBook): void;
}

/** Keeps the body's type from the schema for compile and versions. */
export const defineOperation = <K extends string, S extends z.ZodType>(definition: OperationDefinition<K, S>) => definition;
