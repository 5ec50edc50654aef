/**
 * Tables whose rows a backfill must walk by every kind of key: an `items` table with the key,
 * `name text NOT NULL` and `qty int NOT NULL` (unique, 1..n: gaps are cut by qty). Their keys
 * hold what could trip a walk or its record: texts with spaces, quotes, commas, brackets and
 * letters whose order differs between collations; composite keys whose parts repeat.
 */
export interface KeyKind {
	name: string;
	create: string;
	/** A SELECT of n rows for `INSERT INTO items`. */
	rows: (n: number) => string;
	/** The key's columns, for hashing rows. */
	keyColumns: string;
	/** The key as zdm records it, over the alias t: one column's text, or a JSON array of texts. */
	keyText: string;
	/** ORDER BY over the alias t, as the key's index sorts. */
	keyOrder: string;
	/** The index the backfill must walk. */
	index: string;
	/** Prove its statements walk the index (EXPLAIN over 20,000 rows). */
	explain?: boolean;
}

export const keyKinds: KeyKind[] = [
	{
		name: 'uuid primary key',
		create: 'CREATE TABLE items (id uuid PRIMARY KEY, name text NOT NULL, qty int NOT NULL)',
		rows: n => `SELECT md5(g::text)::uuid, 'item ' || g, g FROM generate_series(1, ${n}) g`,
		keyColumns: 'id',
		keyText: 't.id::text',
		keyOrder: 't.id',
		index: 'items_pkey',
		explain: true,
	},
	{
		name: 'text primary key',
		create: 'CREATE TABLE items (id text PRIMARY KEY, name text NOT NULL, qty int NOT NULL)',
		rows: n => `SELECT CASE g % 4 WHEN 0 THEN 'Key ' || g WHEN 1 THEN 'key-' || g WHEN 2 THEN 'ä"q,' || g ELSE lpad(g::text, 6) END, 'item ' || g, g FROM generate_series(1, ${n}) g`,
		keyColumns: 'id',
		keyText: 't.id',
		keyOrder: 't.id',
		index: 'items_pkey',
	},
	{
		name: 'composite (int, text) primary key',
		create: 'CREATE TABLE items (tenant int, label text, name text NOT NULL, qty int NOT NULL, PRIMARY KEY (tenant, label))',
		rows: n => `SELECT g % 7, CASE g % 3 WHEN 0 THEN '["' || g || '", x]' WHEN 1 THEN 'L ' || g ELSE 'l,' || g END, 'item ' || g, g FROM generate_series(1, ${n}) g`,
		keyColumns: 'tenant, label',
		keyText: 'json_build_array(t.tenant::text, t.label::text)::text',
		keyOrder: 't.tenant, t.label',
		index: 'items_pkey',
		explain: true,
	},
	{
		name: 'composite (timestamptz, numeric) primary key',
		create: 'CREATE TABLE items (at timestamptz, amount numeric(12, 3), name text NOT NULL, qty int NOT NULL, PRIMARY KEY (at, amount))',
		rows: n => `SELECT timestamptz '2024-03-31 00:00:00.25+00' + (g % 50) * interval '1 hour 0.5 s', g * 1.001, 'item ' || g, g FROM generate_series(1, ${n}) g`,
		keyColumns: 'at, amount',
		keyText: 'json_build_array(t.at::text, t.amount::text)::text',
		keyOrder: 't.at, t.amount',
		index: 'items_pkey',
	},
	{
		// No primary key: the narrowest unique index over NOT NULL columns, not the nullable, partial, expression or wider ones.
		name: 'unique NOT NULL column, no primary key',
		create: `CREATE TABLE items (code text NOT NULL, alias text UNIQUE, slot int NOT NULL, name text NOT NULL, qty int NOT NULL);
			CREATE UNIQUE INDEX items_code_slot ON items (code, slot);
			CREATE UNIQUE INDEX items_slot_positive ON items (slot) WHERE slot > 0;
			CREATE UNIQUE INDEX items_lower_name ON items (lower(name));
			CREATE UNIQUE INDEX items_code ON items (code)`,
		rows: n => `SELECT 'c-' || (${n} - g), 'a' || g, g, 'item ' || g, g FROM generate_series(1, ${n}) g`,
		keyColumns: 'code',
		keyText: 't.code',
		keyOrder: 't.code',
		index: 'items_code',
		explain: true,
	},
	{
		// The column sorts by ICU ('a' < 'B'), its only key by "C" ('B' < 'a'): the walk must sort and compare as the index does.
		name: 'unique index in another collation than its column',
		create: `CREATE TABLE items (code text COLLATE "und-x-icu" NOT NULL, name text NOT NULL, qty int NOT NULL);
			CREATE UNIQUE INDEX items_code_c ON items (code COLLATE "C")`,
		rows: n => `SELECT CASE g % 2 WHEN 0 THEN 'a' ELSE 'B' END || g, 'item ' || g, g FROM generate_series(1, ${n}) g`,
		keyColumns: 'code',
		keyText: 't.code',
		keyOrder: 't.code COLLATE "C"',
		index: 'items_code_c',
		explain: true,
	},
];

/** Two backfills: add_column fills only rows still NULL, alter_column's shadow column every row. */
export const keysPlan = {
	id: 'MIG-KEYS',
	title: 'Backfill over any key',
	operations: [
		{add_column: {table: 'items', column: {name: 'note', type: 'text', nullable: true}, up: "name || '!'"}},
		{alter_column: {table: 'items', column: 'qty', type: 'bigint', up: 'qty * 2', down: 'qty / 2'}},
	],
};

/**
 * The kind's items table with gaps in its keys; `expected`, a copy filled by one plain UPDATE to
 * compare with; and backfill_log, every row the backfill writes: its key as zdm records it, and
 * which backfill wrote it (add_column's changes note; the type change's leaves it).
 */
export const keyKindSetup = (kind: KeyKind, rows: number) => `DROP TABLE IF EXISTS items, expected, backfill_log CASCADE; DROP FUNCTION IF EXISTS log_backfill() CASCADE;
	${kind.create};
	INSERT INTO items ${kind.rows(rows)};
	DELETE FROM items WHERE qty % 7 = 0 OR qty BETWEEN 300 AND 420;
	CREATE TABLE expected AS SELECT * FROM items;
	ALTER TABLE expected ADD COLUMN note text;
	UPDATE expected SET note = name || '!', qty = qty * 2;
	CREATE TABLE backfill_log (key text NOT NULL, backfill text NOT NULL);
	CREATE FUNCTION log_backfill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
		INSERT INTO backfill_log VALUES (${kind.keyText.replaceAll('t.', 'NEW.')}, CASE WHEN NEW.note IS DISTINCT FROM OLD.note THEN 'note' ELSE 'qty' END);
		RETURN NEW;
	END $$;
	CREATE TRIGGER log_backfill AFTER UPDATE ON items FOR EACH ROW WHEN (current_setting('zdm.backfill', true) = 'on') EXECUTE FUNCTION log_backfill();
	-- ALWAYS: the backfill runs with session_replication_role = replica, where ordinary triggers stay quiet.
	ALTER TABLE items ENABLE ALWAYS TRIGGER log_backfill;`;

/** The rows as the hash compares them: the key, name, note and qty, whatever order the columns are in. */
export const keyKindRowsHash = (kind: KeyKind, table: string) =>
	`SELECT count(*) || ':' || md5(string_agg(r::text, E'\\n' ORDER BY r::text)) AS hash FROM (SELECT ${kind.keyColumns}, name, note, qty::bigint FROM ${table}) r`;

/** How many rows one of the two backfills wrote, and how many distinct keys. */
export const keyKindWritten = "SELECT count(*)::int AS rows, count(DISTINCT key)::int AS once FROM backfill_log WHERE backfill = $1";
