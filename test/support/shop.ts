import {randomBytes} from 'node:crypto';
import pg from 'pg';
import type {Queryable} from '../../source/db/database.js';
import {ident} from '../../source/core/sql.js';
import {createServerDatabase} from './databases.js';
import {pgDumpDatabase} from './pg-dump.js';

/*
 * A small shop on the test server, for rehearse: several tables tied by foreign keys, an enum
 * type, a partial index, a user trigger, a view, CHECKs, an identity and serial keys, an
 * extension PGlite has (citext) and one it lacks (pgstattuple), and a role that owns a table.
 */

export const shopSql = (owner: string) => `
CREATE EXTENSION citext;
CREATE EXTENSION pgstattuple;
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE customers (
	id bigserial PRIMARY KEY,
	email citext NOT NULL UNIQUE,
	name text NOT NULL,
	country char(2) NOT NULL DEFAULT 'NL',
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE products (
	id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sku varchar(20) NOT NULL UNIQUE,
	price numeric(8,2) NOT NULL CHECK (price > 0),
	rating smallint CHECK (rating BETWEEN 1 AND 5),
	tags text[]
);
CREATE TABLE orders (
	id bigserial PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES customers (id),
	status order_status NOT NULL DEFAULT 'new',
	total numeric(10,2) NOT NULL DEFAULT 0,
	note text,
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_open ON orders (customer_id) WHERE status IN ('new', 'paid');
CREATE TABLE order_items (
	order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	product_id int NOT NULL REFERENCES products (id),
	quantity int NOT NULL CHECK (quantity > 0 AND quantity <= 100),
	PRIMARY KEY (order_id, product_id)
);
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE VIEW open_orders AS SELECT o.id, c.email, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status IN ('new', 'paid');
ALTER TABLE orders OWNER TO ${ident(owner)};
GRANT SELECT ON open_orders TO ${ident(owner)};
INSERT INTO customers (email, name) SELECT 'c' || g || '@example.com', 'Customer ' || g FROM generate_series(1, 300) g;
INSERT INTO products (sku, price, rating) SELECT 'SKU-' || g, g * 1.5, 1 + g % 5 FROM generate_series(1, 40) g;
INSERT INTO orders (customer_id, status, total, note) SELECT 1 + g % 300, (ARRAY['new','paid','shipped','cancelled']::order_status[])[1 + g % 4], g % 500, 'note ' || g FROM generate_series(1, 2000) g;
INSERT INTO order_items SELECT 1 + g % 2000, 1 + (g / 2000) % 40, 1 + g % 9 FROM generate_series(0, 3999) g;
ANALYZE;
`;

/** A plan for the shop: an add_column with a backfill and a type change, both on orders. */
export const shopPlan = {
	id: 'SHOP-001',
	title: 'Order totals in cents, and a bounded note',
	operations: [
		{add_column: {table: 'orders', column: {name: 'total_cents', type: 'bigint', nullable: false, default: '0'}, up: '(total * 100)::bigint'}},
		{alter_column: {table: 'orders', column: 'note', type: 'varchar(500)', up: 'left(note, 500)', down: 'note'}},
	],
};

export interface Shop {
	/** As the superuser. */
	url: string;
	/** As a role that can read everything and write nothing (pg_read_all_data, read-only by default). */
	readerUrl: string;
	owner: string;
	drop(): Promise<void>;
}

/** A database holding the shop, and a read-only role to read it with. Roles are the server's: their names are unique per call. */
export async function createShop(extraSql = ''): Promise<Shop> {
	const created = await createServerDatabase();
	const tag = randomBytes(4).toString('hex');
	const owner = `shop_owner_${tag}`;
	const reader = `shop_reader_${tag}`;
	const client = new pg.Client({connectionString: created.url});
	await client.connect();
	try {
		await client.query(`CREATE ROLE ${ident(owner)} NOLOGIN`);
		await client.query(`CREATE ROLE ${ident(reader)} LOGIN IN ROLE pg_read_all_data`);
		await client.query(`ALTER ROLE ${ident(reader)} SET default_transaction_read_only = on`);
		await client.query(shopSql(owner) + extraSql);
	} finally {
		await client.end();
	}

	return {
		url: created.url,
		readerUrl: created.url.replace('//postgres@', `//${reader}@`),
		owner,
		async drop() {
			await created.drop();
			const admin = new pg.Client({connectionString: created.url.replace(/\/[^/]+$/, '/postgres')});
			await admin.connect();
			await admin.query(`DROP ROLE IF EXISTS ${ident(owner)}`);
			await admin.query(`DROP ROLE IF EXISTS ${ident(reader)}`);
			await admin.end();
		},
	};
}

/** Every table's rows as one hash per table, schema by schema (zdm's state too). */
export async function allRowHashes(db: Queryable): Promise<string[]> {
	const {rows: tables} = await db.query<{name: string}>(
		"SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' ORDER BY 1",
	);
	const hashes: string[] = [];
	for (const {name} of tables) {
		const {rows} = await db.query<{hash: string | null; count: string}>(`SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS hash, count(*)::text AS count FROM ${name} t`);
		hashes.push(`${name}: ${rows[0]!.count}:${rows[0]!.hash ?? ''}`);
	}

	return hashes;
}

/** The target as a check sees it: pg_dump of everything but zdm's state, zdm's state itself, and every table's rows. */
export async function targetSnapshot(url: string, db: Queryable): Promise<{dump: string; zdm: string[]; rows: string[]}> {
	const {rows} = await db.query<{line: string}>("SELECT format('%s %s', n.nspname, c.relname) AS line FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'zdm' ORDER BY 1");
	return {dump: await pgDumpDatabase(url), zdm: rows.map(row => row.line), rows: await allRowHashes(db)};
}

/**
 * The shop's schema as the catalog describes it, in lines that hold across PostgreSQL versions:
 * tables, columns, constraints (not PostgreSQL 18's own NOT NULL rows), indexes, triggers, the
 * user's functions, views, sequences and enum types. Extensions' own objects are left out.
 */
export async function shopSchemaLines(db: Queryable): Promise<string[]> {
	const {rows} = await db.query<{line: string}>(`
		WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = 'public'),
		mine AS (SELECT c.* FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns)
			AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'))
		SELECT format('relation %s kind %s owner %s', relname, relkind, pg_get_userbyid(relowner)) AS line FROM mine
		UNION ALL SELECT format('column %s.%s %s%s%s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''))
			FROM mine c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum WHERE c.relkind IN ('r', 'p', 'v')
		UNION ALL SELECT format('constraint %s on %s: %s', con.conname, c.relname, pg_get_constraintdef(con.oid)) FROM pg_constraint con JOIN mine c ON c.oid = con.conrelid WHERE con.contype <> 'n'
		UNION ALL SELECT format('index %s', pg_get_indexdef(i.indexrelid)) FROM pg_index i JOIN mine c ON c.oid = i.indrelid
		UNION ALL SELECT format('trigger %s', pg_get_triggerdef(t.oid)) FROM pg_trigger t JOIN mine c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
		UNION ALL SELECT format('function %s', pg_get_functiondef(p.oid)) FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
			AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
		UNION ALL SELECT format('view %s: %s', relname, pg_get_viewdef(oid)) FROM mine WHERE relkind = 'v'
		UNION ALL SELECT format('enum %s: %s', t.typname, (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)) FROM pg_type t WHERE t.typnamespace = (SELECT oid FROM ns) AND t.typtype = 'e'
		UNION ALL SELECT format('grant %s', array_to_string(relacl, ',')) FROM mine WHERE relacl IS NOT NULL`);
	return rows.map(row => row.line).sort();
}
