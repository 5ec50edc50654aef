import {fileURLToPath} from 'node:url';
import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import type {CommandFlags} from '../../source/commands/options.js';
import {compilePlan} from '../../source/core/compile.js';
import {readPlanFile} from '../../source/core/plan-file.js';
import {readCatalog} from '../../source/db/catalog.js';
import type {Database} from '../../source/db/database.js';
import {openPglite} from '../../source/db/pglite.js';
import {seedUsers} from '../../source/db/seed.js';
import {App} from '../../source/ui/App.js';
import {waitForFrame} from './support.js';

const samples = (name: string) => fileURLToPath(new URL(`../../samples/${name}`, import.meta.url));
// A wide wait bound: the verdicts below turn on errors; latency under CI load is not the subject here.
const flags = (extra: Partial<CommandFlags> = {}): CommandFlags => ({json: false, yes: false, force: false, allow: [], autoplay: false, waitThreshold: 60_000, ...extra});
const prompt = 'v1 is still live: press v to retire it before contract';

afterEach(() => cleanup());

async function start(planPath: string, extra: Partial<CommandFlags> = {}) {
	const db = await openPglite();
	await seedUsers(db, {rows: 300});
	const exits: Array<{code: number} | {error: unknown}> = [];
	const open = async (): Promise<Database> => ({...db, close: async () => {}});
	const app = render(<App planPath={planPath} flags={flags(extra)} open={open} onExit={result => exits.push(result)} />);
	const waitFor = (accept: (frame: string) => boolean) => waitForFrame(app.lastFrame, accept);
	const quit = async () => {
		app.stdin.write('q');
		await waitForFrame(() => String(exits.length), text => text === '1');
		expect(exits[0]).toEqual({code: 0});
		await db.close();
	};

	/** The plan's contract steps, as the dashboard compiles them on this table (the verify comes first). */
	const contractSteps = async () => compilePlan(readPlanFile(planPath), await readCatalog(db)).plan.steps.filter(step => step.phase === 'CONTRACTING');
	return {...app, waitFor, quit, contractSteps};
}

/** One version's line of the traffic panel, read back into figures. */
function version(frame: string, name: 'v1' | 'v2') {
	const match = new RegExp(`^ ${name} (?:old|new) (\\w+)\\s+(\\d+) req\\s+[\\d.]+/s\\s+(\\d+) err`, 'm').exec(frame);
	return match ? {state: match[1]!, requests: Number(match[2]), errors: Number(match[3])} : undefined;
}

describe('dashboard traffic', () => {
	it('runs v1 and v2 by default, asks for v1 to go before contract, and v retires it: zero downtime at COMPLETE', async () => {
		const app = await start(samples('add-display-name.yaml'));
		const contract = await app.contractSteps();
		let frame = await app.waitFor(text => (version(text, 'v1')?.requests ?? 0) > 0);
		expect(frame).toMatch(/^traffic 20 req\/s each · interleaved with the migration/m);
		expect(version(frame, 'v2')).toMatchObject({state: 'WAITING', requests: 0});
		// Expand done (its last step makes v2's version schema): v2 is deployed and answers too.
		app.stdin.write('   ');
		frame = await app.waitFor(text => text.includes('✔ 3.') && (version(text, 'v2')?.requests ?? 0) > 0);
		expect(version(frame, 'v1')?.state).toBe('LIVE');
		expect(frame).not.toContain(prompt);
		// Migrate, up to the contract: the dashboard asks, and waits for the person.
		app.stdin.write(' ');
		frame = await app.waitFor(text => text.includes(prompt));
		expect(frame).toContain(`❯ · ${contract[0]!.number}.`);
		app.stdin.write('v');
		frame = await app.waitFor(text => version(text, 'v1')?.state === 'RETIRED' && !text.includes(prompt));
		for (let index = 0; index < contract.length; index++) app.stdin.write(' ');
		frame = await app.waitFor(text => text.includes('[COMPLETE]') && text.includes('zero downtime'));
		expect(frame).toContain('✔ zero downtime: no errors, longest wait under 60000 ms');
		expect(version(frame, 'v1')?.errors).toBe(0);
		expect(version(frame, 'v2')).toMatchObject({state: 'LIVE', errors: 0});
		expect(frame.split('\n').length).toBeLessThan(24);
		await app.quit();
	});

	it('contracting with v1 still live shows its errors rising and no zero-downtime verdict', async () => {
		const app = await start(samples('drop-email.yaml'));
		await app.waitFor(text => (version(text, 'v1')?.requests ?? 0) > 0);
		// Space anyway, past the prompt: contract drops the email column v1 still reads and writes.
		const frame = await app.waitFor(text => {
			if (!text.includes('[COMPLETE]')) app.stdin.write(' ');
			return text.includes('[COMPLETE]') && (version(text, 'v1')?.errors ?? 0) > 0 && text.includes('NOT zero downtime');
		});
		expect(frame).toMatch(/v1: .*email/);
		expect(frame).toMatch(/✗ NOT zero downtime: v1: \d+ errors? \(/);
		expect(frame).toMatch(/^why Done, but not without downtime/m);
		await app.quit();
	});

	it('retires v2 before a rollback, and a fresh start brings both versions back', async () => {
		const app = await start(samples('add-display-name.yaml'));
		await app.waitFor(text => text.includes('[PENDING]'));
		app.stdin.write('   ');
		await app.waitFor(text => text.includes('✔ 3.') && (version(text, 'v2')?.requests ?? 0) > 0);
		app.stdin.write('r');
		let frame = await app.waitFor(text => text.includes('[ROLLED_BACK]') && version(text, 'v2')?.state === 'RETIRED');
		// v2 left before its columns did: none of its requests failed.
		expect(version(frame, 'v2')?.errors).toBe(0);
		app.stdin.write(' ');
		frame = await app.waitFor(text => text.includes('[EXPANDING]') && version(text, 'v2')?.state === 'WAITING' && (version(text, 'v1')?.requests ?? 0) > 0);
		expect(version(frame, 'v1')).toMatchObject({state: 'LIVE', errors: 0});
		await app.quit();
	});

	it('autoplay retires v1 itself before contract', async () => {
		const app = await start(samples('add-display-name.yaml'), {autoplay: true, speed: 10});
		const frame = await app.waitFor(text => text.includes('[COMPLETE]') && text.includes('zero downtime'));
		expect(version(frame, 'v1')).toMatchObject({state: 'RETIRED', errors: 0});
		expect(frame).toContain('✔ zero downtime');
		await app.quit();
	});
});
