import {readFileSync} from 'node:fs';
import {conversionDocument, conversionYaml, convertSql} from '../core/convert/index.js';
import {ExitCode, ZdmError} from '../core/errors.js';
import type {Io} from './io.js';
import {wholeNumber, type CommandFlags} from './options.js';

/** `zdm-tui convert FILE.sql`: the plan a plain SQL migration becomes, as YAML (or JSON with --json). Needs no database. */
export async function convert(path: string, flags: CommandFlags, io: Io): Promise<number> {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		throw new ZdmError('bad-input', `${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'give a .sql file, e.g. zdm-tui convert db/migrations/003_index.sql');
	}

	if (text.includes('\u0000')) throw new ZdmError('bad-input', `${path}: the file is binary, not SQL`, 'give a .sql file of SQL statements');
	const conversion = await convertSql(text, path, {pgVersion: wholeNumber('pg-version', flags.pgVersion, 9, 99)});
	io.out(flags.json ? JSON.stringify(conversionDocument(conversion), null, 2) : conversionYaml(conversion).trimEnd());
	return ExitCode.ok;
}
