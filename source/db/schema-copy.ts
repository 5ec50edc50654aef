import type {Node} from 'libpg-query';
import {parseSql, type ParsedStatement} from '../core/lint/sql/parser.js';
import type {Queryable} from './database.js';
import {sqlState} from './database.js';
import type {TableKey} from './rehearsal-source.js';

/*
 * pg_dump's SQL, loaded into the embedded copy statement by statement. pg_dump heads every object
 * with "-- Name: …; Type: …; Schema: …": that is the unit we load, name, and skip when the
 * embedded database cannot hold it.
 */

export interface DumpEntry {
	/** pg_dump's type of the object: TABLE, INDEX, FK CONSTRAINT, … ('SETTINGS' for the SET lines before the first). */
	type: string;
	name: string;
	/** undefined where pg_dump writes "-". */
	schema?: string;
	/** The role that owns it, as the header names it. */
	owner?: string;
	statements: ParsedStatement[];
	/** Why the parser refused its text, if it did. */
	unparsable?: string;
}

/** How one line names an object: "table public.orders", "extension pgstattuple". */
export const objectName = (entry: Pick<DumpEntry, 'type' | 'name' | 'schema'>) => `${entry.type.toLowerCase()} ${entry.schema ? `${entry.schema}.` : ''}${entry.name}`;

const header = /^-- (?:Data for )?Name: (.+?); Type: (.+?); Schema: (.+?); Owner: ?(.*)$/gm;

/** pg_dump's text, cut into its objects. The parser must be loaded (loadSqlParser). */
export function dumpEntries(text: string): DumpEntry[] {
	// \restrict and \unrestrict are psql commands (pg_dump ≥ 17.6, 16.10, 15.14, …), not SQL.
	const sql = text.replace(/^\\(?:un)?restrict .*$/gm, '');
	const marks = [...sql.matchAll(header)];
	const entries: DumpEntry[] = [];
	const add = (head: Omit<DumpEntry, 'statements'>, body: string) => {
		try {
			const statements = parseSql(body);
			if (statements.length > 0) entries.push({...head, statements});
		} catch (error) {
			entries.push({...head, statements: [], unparsable: (error as Error).message});
		}
	};

	add({type: 'SETTINGS', name: 'session settings'}, sql.slice(0, marks[0]?.index ?? sql.length));
	marks.forEach((mark, index) => {
		const [, name, type, schema, owner] = mark;
		const head = {type: type!, name: name!, ...(schema === '-' ? {} : {schema}), ...(owner && owner !== '-' ? {owner: owner.trim()} : {})};
		add(head, sql.slice(mark.index + mark[0].length, marks[index + 1]?.index ?? sql.length));
	});
	return entries;
}

/** Every role a dump names: as an object's owner, in GRANT and REVOKE, ALTER … OWNER TO, policies, default privileges. */
export function rolesOf(entries: DumpEntry[]): string[] {
	const roles = new Set<string>();
	const walk = (value: unknown) => {
		if (Array.isArray(value)) for (const item of value) walk(item);
		else if (value && typeof value === 'object') {
			const fields = value as {roletype?: unknown; rolename?: unknown};
			if (fields.roletype === 'ROLESPEC_CSTRING' && typeof fields.rolename === 'string') roles.add(fields.rolename);
			for (const inner of Object.values(value)) walk(inner);
		}
	};

	for (const entry of entries) {
		if (entry.owner) roles.add(entry.owner);
		for (const statement of entry.statements) walk(statement.node);
	}

	return [...roles].sort();
}

/** The CREATE EXTENSION names of a dump. */
export const extensionsOf = (entries: DumpEntry[]) => entries.filter(entry => entry.type === 'EXTENSION').map(entry => entry.name);

type Fields = Record<string, unknown>;
const bodyOf = (node: Node): Fields => Object.values(node as unknown as Record<string, Fields>)[0] ?? {};
const rangeVar = (value: unknown): TableKey | undefined => {
	const range = value as {schemaname?: string; relname?: string} | undefined;
	return range?.relname ? {schema: range.schemaname ?? 'public', table: range.relname} : undefined;
};

/** The table a statement is about, where it has one (CREATE TABLE, CREATE INDEX, ALTER TABLE, CREATE TRIGGER, …). */
export function relationOf(node: Node): TableKey | undefined {
	const body = bodyOf(node);
	return rangeVar(body.relation) ?? rangeVar(body.table);
}

function addedConstraint(node: Node): {contype?: string; skipValidation?: boolean; def?: Fields} | undefined {
	if (!('AlterTableStmt' in node)) return undefined;
	const cmd = ((bodyOf(node).cmds as Array<{AlterTableCmd?: {subtype?: string; def?: {Constraint?: Fields}}}>) ?? [])[0]?.AlterTableCmd;
	if (cmd?.subtype !== 'AT_AddConstraint' || !cmd.def?.Constraint) return undefined;
	const constraint = cmd.def.Constraint;
	return {contype: constraint.contype as string, skipValidation: Boolean(constraint.skip_validation), def: constraint};
}

/**
 * Primary keys, unique constraints and indexes, and exclusion constraints: made before the rows,
 * so generated rows that would break them are left out (INSERT … ON CONFLICT DO NOTHING).
 */
export function makesKeys(entry: DumpEntry): boolean {
	return entry.statements.some(({node}) => {
		if ('IndexStmt' in node) return Boolean(bodyOf(node).unique);
		const contype = addedConstraint(node)?.contype;
		return contype === 'CONSTR_PRIMARY' || contype === 'CONSTR_UNIQUE' || contype === 'CONSTR_EXCLUSION';
	});
}

export interface ForeignKey {
	name: string;
	child: TableKey;
	columns: string[];
	parent: TableKey;
	parentColumns: string[];
}

const names = (list: unknown) => ((list as Array<{String?: {sval?: string}}>) ?? []).map(item => item.String?.sval ?? '');

/** The foreign keys a post-data dump adds: children's keys are picked from their parents' rows. */
export function foreignKeys(entries: DumpEntry[]): ForeignKey[] {
	return entries.flatMap(entry =>
		entry.statements.flatMap(({node}) => {
			const added = addedConstraint(node);
			const child = relationOf(node);
			const parent = rangeVar(added?.def?.pktable);
			if (added?.contype !== 'CONSTR_FOREIGN' || !child || !parent) return [];
			return [{name: String(added.def?.conname ?? entry.name), child, columns: names(added.def?.fk_attrs), parent, parentColumns: names(added.def?.pk_attrs)}];
		}),
	);
}

export interface Skipped {
	/** "table public.orders". */
	object: string;
	/** The database's own message, first line. */
	reason: string;
	/** The table it belongs to, when it has one: a plan that changes it would rehearse without it. */
	table?: TableKey;
}

export interface NotValid {
	/** "public.order_items order_items_order_id_fkey". */
	constraint: string;
	table?: TableKey;
	reason: string;
}

export interface LoadResult {
	loaded: number;
	skipped: Skipped[];
	notValid: NotValid[];
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

/** Constraint violations a sample can cause: the constraint is kept, but NOT VALID. */
const sampleViolations = new Set(['23503', '23514']);

/** COMMENT and ACL entries name their object after a keyword: "EXTENSION pgstattuple", "TABLE orders". */
const commentedObject = (entry: DumpEntry) => (entry.type === 'COMMENT' || entry.type === 'ACL' ? entry.name.replace(/^[A-Z][A-Z ]* /, '').replace(/\..*$/, '') : undefined);

/**
 * Load entries one statement at a time. An entry that fails is listed once, with the database's
 * reason, and loading goes on; COMMENT and ACL entries on an object already listed are not listed
 * again. A foreign key or CHECK that the rows break is added NOT VALID instead, and listed.
 */
export async function loadEntries(db: Queryable, entries: DumpEntry[]): Promise<LoadResult> {
	const result: LoadResult = {loaded: 0, skipped: [], notValid: []};
	const failed = new Set<string>();
	for (const entry of entries) {
		const table = entry.statements.map(({node}) => relationOf(node)).find(Boolean);
		const skip = (reason: string) => {
			failed.add(entry.name);
			if (entry.schema) failed.add(`${entry.schema}.${entry.name}`);
			const target = commentedObject(entry);
			if (target && (failed.has(target) || failed.has(`${entry.schema}.${target}`))) return;
			result.skipped.push({object: objectName(entry), reason, ...(table ? {table} : {})});
		};

		if (entry.unparsable) {
			skip(`cannot be parsed: ${entry.unparsable}`);
			continue;
		}

		let ok = true;
		for (const statement of entry.statements) {
			try {
				await db.script(statement.text);
			} catch (error) {
				const added = addedConstraint(statement.node);
				if (added && !added.skipValidation && sampleViolations.has(sqlState(error) ?? '')) {
					try {
						await db.script(`${statement.text.replace(/;\s*$/, '')} NOT VALID`);
						const detail = (error as {detail?: unknown}).detail;
						const reason = typeof detail === 'string' ? `rows in the copy break it (${detail.replace(/\.$/, '')})` : firstLine(error);
						result.notValid.push({constraint: `${table ? `${table.schema}.${table.table} ` : ''}${String(added.def?.conname ?? entry.name)}`, ...(table ? {table} : {}), reason});
						continue;
					} catch {}
				}

				skip(firstLine(error));
				ok = false;
				break;
			}
		}

		if (ok) result.loaded++;
	}

	// The dump's SET lines (an empty search_path, …) must not outlast it.
	await db.script('RESET ALL');
	return result;
}
