import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Database} from '../../source/db/database.js';
import {openPostgres} from '../../source/db/postgres.js';
import {serverUrl} from '../support/databases.js';
import {createShop, shopPlan, targetSnapshot, type Shop} from '../support/shop.js';
import {frameHeight, TmuxSession} from './tmux.js';

describe.skipIf(!serverUrl())('the dashboard rehearsing on a copy (tmux)', () => {
	let shop: Shop;
	let target: Database;
	let tmux: TmuxSession | undefined;
	const planPath = join(mkdtempSync(join(tmpdir(), 'zdm-e2e-rehearse-')), 'shop-plan.json');
	beforeAll(async () => {
		writeFileSync(planPath, JSON.stringify(shopPlan));
		shop = await createShop();
		target = await openPostgres(shop.url);
	});
	afterAll(async () => {
		tmux?.kill();
		await target?.close();
		await shop?.drop();
	});

	it('opens on the copy, runs the plan there to COMPLETE, and prints the timings after q; the target is unchanged', async () => {
		const before = await targetSnapshot(shop.url, target);
		tmux = new TmuxSession(`CI=false node dist/cli.js ${planPath} --rehearse-from ${shop.readerUrl} --rows 1000 --traffic 0`, {columns: 110, rows: 34});
		// The table is read a moment after the first frame: wait for both.
		let screen = await tmux.waitFor(text => text.includes('[PENDING]') && text.includes('v1 sees public.orders'), 90_000);
		// The header names the copy, and the table panel shows the plan's table from the copy.
		expect(screen).toMatch(/\[PENDING\].*copy of 127\.0\.0\.1:\d+\/zdm_test_\w+, generated rows/);
		expect(screen).toMatch(/v1 sees public\.orders · ~1,000 rows/);
		tmux.keys('a');
		screen = await tmux.waitFor(text => text.includes('[COMPLETE]') && text.includes('Migration finished successfully'), 120_000);
		expect(screen).toMatch(/✔ 6\. Backfill "total_cents"/);
		expect(frameHeight(screen)).toBeLessThan(34);
		tmux.keys('q');
		screen = await tmux.waitFor(text => text.includes('EXIT=0'));
		expect(screen).toMatch(/^timings on the copy, extrapolated to the target’s rows/m);
		expect(screen).toMatch(/Backfill "total_cents".*≈ .+ at 2,000 rows \(linear from 1,000 rows\)$/m);
		expect(await targetSnapshot(shop.url, target)).toEqual(before);
	});
});
