import type {Queryable} from '../../source/db/database.js';
import {schemaLines} from './exact.js';

/**
 * Everything that defines the schema's tables, as sorted lines from the catalog, on PGlite and on
 * a server alike: schemaLines (relations, columns in order with defaults and comments,
 * constraints, indexes, triggers, views) and what a type change must also carry over — identity,
 * sequences and their owners, column grants, statistics targets and options, extended
 * statistics, CLUSTER and REPLICA IDENTITY, comments on indexes, constraints and statistics.
 */
export async function shapeLines(db: Queryable, schema = 'public'): Promise<string[]> {
	const {rows} = await db.query<{line: string}>(
		`WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1)
		 SELECT format('column %s.%s identity %L statistics %s options %s grants %s', c.relname, a.attname, a.attidentity,
		               COALESCE(a.attstattarget::int, -1), a.attoptions::text, a.attacl::text) AS line
		   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		  WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
		 UNION ALL
		 SELECT format('table %s replica identity %s', c.relname, c.relreplident) FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p')
		 UNION ALL
		 SELECT format('sequence %s %s start %s increment %s min %s max %s cache %s cycle %s owned by %s', s.relname, format_type(ps.seqtypid, NULL),
		               ps.seqstart, ps.seqincrement, ps.seqmin, ps.seqmax, ps.seqcache, ps.seqcycle,
		               (SELECT format('%s.%s (%s)', t.relname, a.attname, d.deptype) FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
		                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
		                 WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
		   FROM pg_sequence ps JOIN pg_class s ON s.oid = ps.seqrelid WHERE s.relnamespace = (SELECT oid FROM ns)
		 UNION ALL
		 SELECT format('statistics %s comment %L', pg_get_statisticsobjdef(s.oid), obj_description(s.oid, 'pg_statistic_ext'))
		   FROM pg_statistic_ext s WHERE s.stxnamespace = (SELECT oid FROM ns)
		 UNION ALL
		 SELECT format('index %s clustered %s replica identity %s comment %L', ic.relname, i.indisclustered, i.indisreplident, obj_description(i.indexrelid, 'pg_class'))
		   FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE ic.relnamespace = (SELECT oid FROM ns)
		 UNION ALL
		 SELECT format('constraint %s on %s comment %L deferrable %s %s', con.conname, c.relname, obj_description(con.oid, 'pg_constraint'), con.condeferrable, con.condeferred)
		   FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid WHERE c.relnamespace = (SELECT oid FROM ns)`,
		[schema],
	);
	return [...(await schemaLines(db, schema)), ...rows.map(row => row.line)].sort();
}
