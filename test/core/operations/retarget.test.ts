import {beforeAll, describe, expect, it} from 'vitest';
import {loadSqlParser} from '../../../source/core/lint/sql/parser.js';
import {retargetConstraint, retargetIndex, retargetStatistics} from '../../../source/core/operations/retarget.js';

/**
 * PostgreSQL's own definition of an index, constraint or statistics object, moved to another
 * column: only the occurrences the parser reads as that column change, never a name that merely
 * looks the same (an operator class, a function, a field, a literal, the object's own name).
 */
beforeAll(async () => loadSqlParser());

describe('retargetIndex', () => {
	it('moves key columns, expressions, INCLUDE and the predicate, and keeps everything else as printed', () => {
		const definition = `CREATE UNIQUE INDEX users_email_idx ON public.users USING btree (email text_pattern_ops DESC NULLS LAST, lower(email) COLLATE "C", id) INCLUDE (email, username) WITH (fillfactor='70') WHERE (email IS NOT NULL)`;
		expect(retargetIndex(definition, 'email', 'new_email', '_zdm_tmp')).toBe(
			`CREATE UNIQUE INDEX CONCURRENTLY "_zdm_tmp" ON public.users USING btree ("new_email" text_pattern_ops DESC NULLS LAST, lower("new_email") COLLATE "C", id) INCLUDE ("new_email", username) WITH (fillfactor='70') WHERE ("new_email" IS NOT NULL)`,
		);
	});

	it('leaves alone what only looks like the column: its own name, a function, an opclass, a field, a literal, the method', () => {
		const definition = `CREATE INDEX lower ON public.t USING btree (lower(lower) text_ops, ((payload).lower), btree) WHERE (note <> 'lower'::text)`;
		expect(retargetIndex(definition, 'lower', 'x', 'tmp')).toBe(`CREATE INDEX CONCURRENTLY "tmp" ON public.t USING btree (lower("x") text_ops, ((payload).lower), btree) WHERE (note <> 'lower'::text)`);
		expect(retargetIndex(definition, 'btree', 'x', 'tmp')).toBe(`CREATE INDEX CONCURRENTLY "tmp" ON public.t USING btree (lower(lower) text_ops, ((payload).lower), "x") WHERE (note <> 'lower'::text)`);
	});

	it('handles quoted and non-ASCII names, keyword-named columns, and a tablespace before the predicate', () => {
		const definition = `CREATE INDEX "Ünïcode idx" ON public."Tablé" USING gin ("Émail" gin_trgm_ops, name) WHERE ("Émail" <> ''::text)`;
		expect(retargetIndex(definition, 'Émail', 'é2', 'tmp', 'fast space')).toBe(`CREATE INDEX CONCURRENTLY "tmp" ON public."Tablé" USING gin ("é2" gin_trgm_ops, name) TABLESPACE "fast space" WHERE ("é2" <> ''::text)`);
		expect(retargetIndex(definition, 'name', 'n2', 'tmp', 'ts')).toBe(`CREATE INDEX CONCURRENTLY "tmp" ON public."Tablé" USING gin ("Émail" gin_trgm_ops, "n2") TABLESPACE "ts" WHERE ("Émail" <> ''::text)`);
		expect(retargetIndex('CREATE INDEX i ON public.t USING btree (a)', 'a', 'b', 'tmp', 'ts')).toBe('CREATE INDEX CONCURRENTLY "tmp" ON public.t USING btree ("b") TABLESPACE "ts"');
	});
});

describe('retargetStatistics', () => {
	it('renames the object and moves plain and expression elements', () => {
		expect(retargetStatistics('CREATE STATISTICS public.s1 (ndistinct, dependencies) ON id, code, ((id + 1)) FROM t', 'id', 'new_id', 'public', '_zdm_s')).toBe(
			'CREATE STATISTICS "public"."_zdm_s" (ndistinct, dependencies) ON "new_id", code, (("new_id" + 1)) FROM t',
		);
		expect(retargetStatistics('CREATE STATISTICS "My Schema"."s" ON code, id FROM "My Schema".t', 'id', 'x', 'My Schema', 'tmp')).toBe('CREATE STATISTICS "My Schema"."tmp" ON code, "x" FROM "My Schema".t');
	});
});

describe('retargetConstraint', () => {
	it('moves a CHECK\'s column references, not a literal or function of the same name, and drops a trailing NOT VALID', () => {
		expect(retargetConstraint(`CHECK (((v > 0) AND (v(note) <> 'v'::text))) NOT VALID`, 'v', 'w')).toBe(`CHECK ((("w" > 0) AND (v(note) <> 'v'::text)))`);
		expect(retargetConstraint('CHECK ((v > 0)) NO INHERIT', 'v', 'w')).toBe('CHECK (("w" > 0)) NO INHERIT');
	});

	it('moves a foreign key\'s own columns (and its SET NULL list), or the ones it references', () => {
		const definition = 'FOREIGN KEY (tenant, parent_id) REFERENCES public.parent(tenant, id) ON DELETE SET NULL (parent_id)';
		expect(retargetConstraint(definition, 'parent_id', 'p2')).toBe('FOREIGN KEY (tenant, "p2") REFERENCES public.parent(tenant, id) ON DELETE SET NULL ("p2")');
		expect(retargetConstraint(definition, 'id', 'id2', 'referenced')).toBe('FOREIGN KEY (tenant, parent_id) REFERENCES public.parent(tenant, "id2") ON DELETE SET NULL (parent_id)');
		// A key referenced by a column of the same name on the other side: only the side asked for.
		expect(retargetConstraint('FOREIGN KEY (id) REFERENCES parent(id) DEFERRABLE NOT VALID', 'id', 'k', 'referenced')).toBe('FOREIGN KEY (id) REFERENCES parent("k") DEFERRABLE');
	});
});
