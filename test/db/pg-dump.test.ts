import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {ZdmError} from '../../source/core/errors.js';
import {findPgDump} from '../../source/db/pg-dump.js';

const dir = mkdtempSync(join(tmpdir(), 'zdm-pg-dump-'));
/** A stand-in pg_dump that only answers --version. */
function fakePgDump(name: string, version: string): string {
	const path = join(dir, name);
	writeFileSync(path, `#!/bin/sh\necho "pg_dump (PostgreSQL) ${version}"\n`);
	chmodSync(path, 0o755);
	return path;
}

describe('findPgDump', () => {
	it('picks the newest pg_dump at least as new as the server', async () => {
		const old = fakePgDump('old', '14.9');
		const newer = fakePgDump('newer', '17.2 (Debian 17.2-1)');
		const middle = fakePgDump('middle', '16.4');
		expect(await findPgDump(15, [old, middle, newer])).toEqual({path: newer, major: 17, version: '17.2'});
	});

	it('refuses in one line, naming what it found and what to install, when none is new enough', async () => {
		const error = await findPgDump(16, [fakePgDump('too-old', '15.18'), join(dir, 'absent')]).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ZdmError);
		expect((error as ZdmError).exitCode).toBe(2);
		expect((error as ZdmError).oneLine()).toBe('rehearse needs pg_dump 16 or newer to read the schema of this PostgreSQL 16 server; found only pg_dump 15.18 — install the PostgreSQL 16 client tools (e.g. postgresql-client-16) or put their bin directory on PATH');
		expect(await findPgDump(16, []).catch((caught: unknown) => (caught as Error).message)).toMatch(/; none found in PATH or \/usr\/lib\/postgresql\/\*\/bin$/);
	});
});
