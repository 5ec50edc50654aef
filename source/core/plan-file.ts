import {readFileSync} from 'node:fs';
import {basename} from 'node:path';
import YAML from 'yaml';
import {ZdmError} from './errors.js';
import {printable, shown} from './sql.js';

import {operationDefinition, operationKinds, type PlanOperation} from './operations/index.js';

export {operationKinds, type OperationBody, type OperationKind, type PlanOperation} from './operations/index.js';
export type {ColumnDefinition} from './operations/fields.js';

export interface PlanFile {
	id: string;
	title: string;
	/** pgroll's field: the version schema's name, instead of `<schema>_<id>`. */
	versionSchema?: string;
	operations: PlanOperation[];
	/** The file's meaning as canonical JSON: what the fingerprint is taken of. */
	canonical: string;
}

const maxPlanChars = 10_000_000;

const idPattern = /^[\w.:-]{1,100}$/;

/** A plan file's base name and extension: `03_add_column.yaml` names the migration `03_add_column`. */

function fail(source: string, path: string, problem: string, hint: string): never {
	throw new ZdmError('plan-file', `${source}: ${path ? `${path}: ` : ''}${problem}`, hint);
}

function pathOf(segments: ReadonlyArray<PropertyKey>): string {
	return segments
		.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index ? '.' : ''}${String(segment)}`))
		.join('');
}

function describeValue(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	return typeof value === 'object' ? 'an object' : typeof value;
}

/** A plan file's base name without its extension; undefined when `source` is not a file name. */
/** A migration file's id: its base name without the extension (pgroll's convention). */
export const fileId = (path: string) => basename(path).replace(/\.[^.]+$/, '');
const idFromFileName = (source: string) => (/\.(ya?ml|json|sql)$/i.test(source) ? fileId(source) : undefined);

/** Validate a parsed plan document; `source` names the file in every message. */
export function validatePlan(document: unknown, source = 'plan'): PlanFile {
	if (!document || typeof document !== 'object' || Array.isArray(document)) {
		fail(source, '', `expected an object with "id" and "operations", found ${describeValue(document)}`, 'see samples/ for the format');
	}

	const raw = document as Record<string, unknown>;
	const known = new Set(['id', 'name', 'title', 'version_schema', 'operations']);
	for (const key of Object.keys(raw)) {
		if (!known.has(key)) fail(source, shown(key), 'unknown field', 'a plan has id (or name), title, version_schema and operations');
	}

	// pgroll's files carry no name: the migration is named after its file, without the extension.
	const fromFile = idFromFileName(source);
	const id = raw.id ?? raw.name ?? fromFile;
	if (typeof id !== 'string' || !idPattern.test(id)) {
		const found = raw.id === undefined && raw.name === undefined && fromFile !== undefined ? `the file name ${shown(fromFile)}` : describeValue(id);
		fail(source, raw.id === undefined ? 'name' : 'id', `expected an id of letters, digits, "_", "-", "." or ":" (1–100), found ${found}`, 'add e.g. name: 01_add_column, or rename the file');
	}

	if (raw.title !== undefined && (typeof raw.title !== 'string' || raw.title.length > 200)) {
		fail(source, 'title', `expected a string of at most 200 characters, found ${describeValue(raw.title)}`, 'give the plan a short title');
	}

	if (raw.version_schema !== undefined && (typeof raw.version_schema !== 'string' || raw.version_schema.length === 0 || raw.version_schema.length > 63)) {
		fail(source, 'version_schema', `expected a schema name of 1 to 63 characters, found ${describeValue(raw.version_schema)}`, 'e.g. version_schema: public_v2, or leave it out for <schema>_<id>');
	}

	if (!Array.isArray(raw.operations) || raw.operations.length === 0) {
		fail(source, 'operations', `expected a non-empty list, found ${describeValue(raw.operations)}`, `list operations such as ${operationKinds.join(', ')}`);
	}

	if (raw.operations.length > 100) fail(source, 'operations', `${raw.operations.length} operations`, 'split the plan into migrations of at most 100 operations');

	const operations = raw.operations.map((entry: unknown, index: number): PlanOperation => {
		const at = `operations[${index}]`;
		if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
			fail(source, at, `expected an object such as {add_column: {...}}, found ${describeValue(entry)}`, `use one of ${operationKinds.join(', ')}`);
		}

		const keys = Object.keys(entry);
		if (keys.length !== 1) fail(source, at, `expected exactly one operation, found ${keys.length} keys`, 'write one operation per list item');
		const kind = keys[0]!;
		const definition = operationDefinition(kind);
		if (!definition) fail(source, at, `unknown operation ${shown(kind)}`, `use one of ${operationKinds.join(', ')}`);
		const parsed = definition.schema.safeParse((entry as Record<string, unknown>)[kind]);
		if (!parsed.success) {
			const issue = parsed.error.issues[0]!;
			fail(source, `${at}.${kind}${issue.path.length ? '.' : ''}${pathOf(issue.path)}`, issue.message.replace(/\s+/g, ' ').slice(0, 200), 'fix that field (see samples/ for examples)');
		}

		return {kind, body: parsed.data} as PlanOperation;
	});

	const title = typeof raw.title === 'string' ? raw.title : operations.map(op => op.kind).join(', ');
	const versionSchema = raw.version_schema as string | undefined;
	const canonical = JSON.stringify({id, ...(versionSchema === undefined ? {} : {versionSchema}), operations: operations.map(op => [op.kind, op.body])});
	return {id, title, ...(versionSchema === undefined ? {} : {versionSchema}), operations, canonical};
}

/** Deeper than any plan; the YAML parser runs out of stack (and, repeated, of memory) long before 20,000. */
const maxNesting = 64;

function nestingDepth(text: string): number {
	let depth = 0;
	let deepest = 0;
	for (let index = 0; index < text.length; index++) {
		const char = text.charCodeAt(index);
		if (char === 0x5b || char === 0x7b) deepest = Math.max(deepest, ++depth);
		else if (char === 0x5d || char === 0x7d) depth--;
	}

	return deepest;
}

export function parsePlanText(text: string, source: string): PlanFile {
	if (nestingDepth(text) > maxNesting) fail(source, '', `brackets nested more than ${maxNesting} levels deep`, 'a plan is a few levels deep; check the file');
	let document: unknown;
	try {
		document = /\.json$/i.test(source) ? JSON.parse(text) : YAML.parse(text, {maxAliasCount: 100, logLevel: 'error'});
	} catch (error) {
		const reason = printable((error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 160));
		fail(source, '', `not valid ${/\.json$/i.test(source) ? 'JSON' : 'YAML'}: ${reason}`, 'fix the syntax at the position shown');
	}

	return validatePlan(document, source);
}

export function readPlanFile(file: string): PlanFile {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new ZdmError('plan-file', `${file}: cannot read the plan file (${code ?? 'error'})`, 'check the path, e.g. samples/add-display-name.yaml');
	}

	if (text.includes('\u0000')) fail(basename(file), '', 'the file is binary, not a plan', 'give a JSON or YAML plan file');
	if (text.length > maxPlanChars) fail(basename(file), '', `${text.length} characters is far more than a plan`, `keep plan files under ${maxPlanChars / 1_000_000} MB`);
	return parsePlanText(text, file);
}
