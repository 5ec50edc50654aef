import YAML from 'yaml';
import {describe, expect, it} from 'vitest';
import {conversionDocument, conversionYaml, convertSql} from '../../source/core/convert/index.js';
import {ZdmError} from '../../source/core/errors.js';
import {validatePlan} from '../../source/core/plan-file.js';

/**
 * `convert` on a table of SQL statements (#11): each statement a safe operation says exactly
 * becomes that operation, in pgroll's field names; each it cannot say stays a `sql` operation,
 * its lint findings beside it as comments.
 */

const operations = async (sql: string) => conversionDocument(await convertSql(sql, 'm.sql')).operations;

const supported: Array<[string, unknown[]]> = [
	['ALTER TABLE users ADD COLUMN bio text', [{add_column: {table: 'users', column: {name: 'bio', type: 'text', nullable: true}}}]],
	['ALTER TABLE users ADD COLUMN "Score" numeric(10, 2) NOT NULL DEFAULT 0 + 1', [{add_column: {table: 'users', column: {name: 'Score', type: 'numeric(10, 2)', nullable: false, default: '0 + 1'}}}]],
	[
		'ALTER TABLE users ADD team_id bigint CONSTRAINT users_team_fk REFERENCES teams (id) ON DELETE SET NULL UNIQUE CHECK (team_id > 0)',
		[{add_column: {table: 'users', column: {name: 'team_id', type: 'bigint', nullable: true, references: {name: 'users_team_fk', table: 'teams', column: 'id', on_delete: 'SET NULL'}, unique: true, check: {name: 'users_team_id_check', constraint: 'team_id > 0'}}}}],
	],
	['ALTER TABLE users RENAME COLUMN email TO contact_email', [{rename_column: {table: 'users', from: 'email', to: 'contact_email'}}]],
	['ALTER TABLE public.users RENAME email TO mail', [{rename_column: {table: 'users', from: 'email', to: 'mail'}}]],
	['ALTER TABLE users ALTER COLUMN age TYPE bigint', [{alter_column: {table: 'users', column: 'age', type: 'bigint'}}]],
	['ALTER TABLE users ALTER age SET DATA TYPE varchar(100) USING left(age::text, 100)', [{alter_column: {table: 'users', column: 'age', type: 'varchar(100)', up: 'left(age::text, 100)'}}]],
	['ALTER TABLE users ALTER COLUMN email SET NOT NULL', [{alter_column: {table: 'users', column: 'email', nullable: false}}]],
	['ALTER TABLE users ALTER COLUMN email DROP NOT NULL', [{alter_column: {table: 'users', column: 'email', nullable: true}}]],
	["ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active'", [{alter_column: {table: 'users', column: 'status', default: "'active'"}}]],
	['ALTER TABLE users ALTER COLUMN status DROP DEFAULT', [{alter_column: {table: 'users', column: 'status', default: null}}]],
	['ALTER TABLE users DROP COLUMN legacy', [{drop_column: {table: 'users', column: 'legacy'}}]],
	[
		"ALTER TABLE users ADD COLUMN a int, ALTER COLUMN b SET DEFAULT now(), DROP COLUMN c",
		[{add_column: {table: 'users', column: {name: 'a', type: 'int', nullable: true}}}, {alter_column: {table: 'users', column: 'b', default: 'now()'}}, {drop_column: {table: 'users', column: 'c'}}],
	],
	['CREATE INDEX users_email_idx ON users (email)', [{create_index: {table: 'users', name: 'users_email_idx', columns: ['email']}}]],
	['CREATE UNIQUE INDEX CONCURRENTLY ON users (a, b)', [{create_index: {table: 'users', name: 'users_a_b_idx', columns: ['a', 'b'], unique: true}}]],
	['CREATE INDEX i ON users USING gin (tags) WHERE deleted_at IS NULL', [{create_index: {table: 'users', name: 'i', columns: ['tags'], method: 'gin', predicate: 'deleted_at IS NULL'}}]],
	['DROP INDEX users_email_idx', [{drop_index: {name: 'users_email_idx'}}]],
	['DROP INDEX CONCURRENTLY a, public.b', [{drop_index: {name: 'a'}}, {drop_index: {name: 'b'}}]],
	['ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0 AND age < 200) NOT VALID', [{create_constraint: {table: 'users', name: 'users_age_check', type: 'check', columns: ['age'], check: 'age >= 0 AND age < 200', up: {age: 'age'}, down: {age: 'age'}}}]],
	['ALTER TABLE users ADD UNIQUE (email, "Org")', [{create_constraint: {table: 'users', name: 'users_email_Org_key', type: 'unique', columns: ['email', 'Org'], up: {email: 'email', Org: '"Org"'}, down: {email: 'email', Org: '"Org"'}}}]],
	[
		'ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE ON UPDATE RESTRICT',
		[{create_constraint: {table: 'users', name: 'fk', type: 'foreign_key', columns: ['team_id'], references: {table: 'teams', columns: ['id'], on_delete: 'CASCADE', on_update: 'RESTRICT'}, up: {team_id: 'team_id'}, down: {team_id: 'team_id'}}}],
	],
	['ALTER TABLE users ADD PRIMARY KEY (id)', [{create_constraint: {table: 'users', name: 'users_pkey', type: 'primary_key', columns: ['id'], up: {id: 'id'}, down: {id: 'id'}}}]],
	['ALTER TABLE users DROP CONSTRAINT users_age_check', [{drop_constraint: {table: 'users', name: 'users_age_check'}}]],
	['ALTER TABLE users RENAME CONSTRAINT users_age_check TO age_in_range', [{rename_constraint: {table: 'users', from: 'users_age_check', to: 'age_in_range'}}]],
	[
		"CREATE TABLE teams (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name varchar(100) NOT NULL UNIQUE, created timestamptz DEFAULT now(), owner bigint REFERENCES users (id), CONSTRAINT teams_name_check CHECK (name <> ''))",
		[
			{
				create_table: {
					name: 'teams',
					columns: [
						{name: 'id', type: 'bigint', nullable: false, generated: {identity: {user_specified_values: 'ALWAYS'}}, pk: true},
						{name: 'name', type: 'varchar(100)', nullable: false, unique: true},
						{name: 'created', type: 'timestamptz', nullable: true, default: 'now()'},
						{name: 'owner', type: 'bigint', nullable: true, references: {name: 'teams_owner_fkey', table: 'users', column: 'id'}},
					],
					constraints: [{name: 'teams_name_check', type: 'check', columns: ['name'], check: "name <> ''"}],
				},
			},
		],
	],
	['CREATE TABLE pairs (a int, b int, PRIMARY KEY (a, b))', [{create_table: {name: 'pairs', columns: [{name: 'a', type: 'int', nullable: false, pk: true}, {name: 'b', type: 'int', nullable: false, pk: true}]}}]],
	['DROP TABLE old_things', [{drop_table: {name: 'old_things'}}]],
	['ALTER TABLE users RENAME TO people', [{rename_table: {from: 'users', to: 'people'}}]],
	// A comment in or after a piece is not part of it: zdm writes SQL around the piece.
	[
		'ALTER TABLE users ADD COLUMN a int DEFAULT 1 + /* one */ 2 -- the default\n, ALTER COLUMN b TYPE bigint USING b::bigint -- widen',
		[{add_column: {table: 'users', column: {name: 'a', type: 'int', nullable: true, default: '1 +           2'}}}, {alter_column: {table: 'users', column: 'b', type: 'bigint', up: 'b::bigint'}}],
	],
];

// Each kept as written: nothing in a plan says it exactly (or at all).
const unsupported = [
	"UPDATE users SET status = 'x'",
	'CREATE INDEX ON users (lower(email))',
	'CREATE INDEX i ON users (email DESC)',
	'CREATE INDEX IF NOT EXISTS i ON users (email)',
	'DROP TABLE IF EXISTS t',
	'DROP TABLE t CASCADE',
	'DROP INDEX IF EXISTS i',
	'ALTER TABLE users DROP COLUMN c CASCADE',
	'ALTER TABLE IF EXISTS users ADD COLUMN a int',
	'ALTER TABLE users ADD COLUMN IF NOT EXISTS a int',
	'ALTER TABLE users ADD COLUMN a int PRIMARY KEY',
	'ALTER TABLE users ADD COLUMN a text COLLATE "C"',
	'ALTER TABLE users ADD COLUMN a bigint GENERATED ALWAYS AS IDENTITY',
	'ALTER TABLE users ADD COLUMN t bigint REFERENCES teams',
	'ALTER TABLE users ADD COLUMN a int, SET TABLESPACE fast',
	'ALTER TABLE other.users ADD COLUMN a int',
	'ALTER TABLE ONLY users ADD CONSTRAINT c CHECK (a > 0)',
	'ALTER TABLE users ADD CONSTRAINT c UNIQUE USING INDEX i',
	'ALTER TABLE users ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES t (b) DEFERRABLE',
	'ALTER TABLE users ADD CONSTRAINT x EXCLUDE USING gist (a WITH &&)',
	'ALTER TABLE IF EXISTS users RENAME COLUMN a TO b',
	'CREATE TABLE IF NOT EXISTS t (a int)',
	'CREATE TEMP TABLE t (a int)',
	'CREATE TABLE t (LIKE users)',
	'CREATE TABLE t (a int) PARTITION BY RANGE (a)',
	'CREATE TABLE t AS SELECT 1 AS a',
	"CREATE TYPE mood AS ENUM ('happy', 'sad')",
	'CREATE EXTENSION pgcrypto',
	'TRUNCATE users',
	'VACUUM users',
];

describe('convert: statements a safe operation says exactly', () => {
	it.each(supported)('%s', async (sql, expected) => {
		expect(await operations(`${sql};`)).toEqual(expected);
	});

	it('converts the operations this zdm-tui runs into a plan it validates, with the id from the file name', async () => {
		const sql = supported.filter(([, ops]) => ['add_column', 'rename_column', 'alter_column', 'drop_column', 'create_index'].includes(Object.keys((ops as object[])[0]!)[0]!) && !JSON.stringify(ops).includes('"method"')).map(([statement]) => `${statement};`);
		const plan = validatePlan(conversionDocument(await convertSql(sql.join('\n'), 'db/migrations/004_many.sql')), 'db/migrations/004_many.sql');
		expect(plan.id).toBe('004_many');
		expect(plan.operations.length).toBeGreaterThanOrEqual(sql.length);
	});
});

describe('convert: everything else stays a sql operation, with its lint findings', () => {
	it.each(unsupported)('%s', async sql => {
		expect(await operations(`${sql};`)).toEqual([{sql: {up: sql}}]);
	});

	it('puts each raw statement\'s lint findings, and its missing down, above it as comments; BEGIN and COMMIT are left out', async () => {
		const sql = 'BEGIN;\nALTER TABLE users ADD COLUMN bio text;\n\nCREATE INDEX ON users (lower(email));\nTRUNCATE users;\nCOMMIT;\n';
		const yaml = conversionYaml(await convertSql(sql, 'm.sql'));
		expect(YAML.parse(yaml)).toEqual({operations: [{add_column: {table: 'users', column: {name: 'bio', type: 'text', nullable: true}}}, {sql: {up: 'CREATE INDEX ON users (lower(email))'}}, {sql: {up: 'TRUNCATE users'}}]});
		expect(yaml).toContain('# line 1: BEGIN left out');
		expect(yaml).toContain('# line 6: COMMIT left out');
		const comments = (line: number) => yaml.split(`# line ${line}`)[1]!.split('  - ')[0]!;
		expect(comments(2)).not.toContain('lint');
		expect(comments(4)).toMatch(/kept as raw sql\n\s+# lint error require-concurrent-index: .*\n\s+# no down: migrate refuses/);
		expect(comments(5)).toMatch(/# lint error truncate-table: /);
		// Lint reads the file as the plan runs it (no BEGIN … COMMIT): no finding about the transaction.
		expect(yaml).not.toContain('work-after-access-exclusive');
	});

	it('keeps a raw statement as written up to its last token, without the comment after it', async () => {
		expect(await operations("UPDATE users /* all */ SET status = 'x' -- for now\n;")).toEqual([{sql: {up: "UPDATE users /* all */ SET status = 'x'"}}]);
	});

	it('refuses SQL that does not parse with one line naming the file and the position', async () => {
		const error = await convertSql('ALTER TABLE users\n  ADD COLUMN;', 'db/m.sql').catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ZdmError);
		expect((error as ZdmError).oneLine()).toMatch(/^db\/m\.sql:2:13: not valid SQL: syntax error at or near ";" — fix/);
		expect((error as ZdmError).exitCode).toBe(2);
	});
});
