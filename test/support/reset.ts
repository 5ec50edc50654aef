/**
 * Forget every migration: zdm's state, the version schemas the migrations left (a test's
 * database has no other schemas but public) and zdm's trigger functions an unfinished one left.
 * The tables are the caller's to drop or keep.
 */
export const resetMigrationsSql = `DO $reset$
DECLARE name text;
BEGIN
	FOR name IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%' LOOP
		EXECUTE format('DROP SCHEMA %I CASCADE', name);
	END LOOP;
	FOR name IN SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname LIKE '\_zdm%' LOOP
		EXECUTE 'DROP FUNCTION ' || name || ' CASCADE';
	END LOOP;
END
$reset$`;

export async function resetMigrations(db: {query(sql: string): Promise<unknown>}): Promise<void> {
	await db.query(resetMigrationsSql);
}
