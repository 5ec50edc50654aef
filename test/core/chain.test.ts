import {describe, expect, it} from 'vitest';
import {fingerprint, planChain, type AppliedMigration, type ChainFile} from '../../source/core/chain.js';
import {ZdmError} from '../../source/core/errors.js';
import {validatePlan} from '../../source/core/plan-file.js';

/**
 * What `migrate DIR` decides from the files and the history alone (#11): which migrations run,
 * in what order, how far, with which parent, or why it refuses before changing anything.
 */

const file = (name: string, column = name): ChainFile => {
	const path = `db/${name}`;
	return {id: name.replace(/\.[^.]+$/, ''), path, name, plan: validatePlan({operations: [{create_index: {table: 'users', name: `i_${column.replace(/\W/g, '_')}`, columns: ['email']}}]}, path)};
};

const applied = (of: ChainFile, extra: Partial<AppliedMigration> = {}): AppliedMigration => ({id: of.id, phase: 'COMPLETE', fingerprint: fingerprint(of.plan), sourceFile: of.name, baseline: false, startedOnly: false, ...extra});

const refusal = (run: () => unknown) => {
	try {
		run();
	} catch (error) {
		expect(error).toBeInstanceOf(ZdmError);
		expect((error as ZdmError).exitCode).toBe(2);
		return (error as ZdmError).oneLine();
	}

	throw new Error('not refused');
};

const a = file('001_a.yaml');
const b = file('002_b.json');
const c = file('003_c.sql');

describe('planChain', () => {
	it('runs every pending file in name order, the last left started (or COMPLETE with --complete), each with the one before as parent', () => {
		const entries = planChain('db', [c, a, b], [applied(a)], false);
		expect(entries.map(entry => [entry.file.id, entry.parent, entry.resume, entry.target])).toEqual([
			['002_b', '001_a', false, 'complete'],
			['003_c', '002_b', false, 'started'],
		]);
		expect(planChain('db', [a, b, c], [applied(a)], true).at(-1)!.target).toBe('complete');
	});

	it('leaves a migration started before contract alone when nothing is pending, resumes one stopped earlier, and completes it before new ones', () => {
		expect(planChain('db', [a, b], [applied(a), applied(b, {phase: 'MIGRATING', startedOnly: true})], false)).toEqual([]);
		expect(planChain('db', [a, b], [applied(a), applied(b, {phase: 'MIGRATING', startedOnly: false})], false).map(entry => [entry.file.id, entry.resume, entry.target])).toEqual([['002_b', true, 'started']]);
		expect(planChain('db', [a, b, c], [applied(a), applied(b, {phase: 'MIGRATING', startedOnly: true})], false).map(entry => [entry.file.id, entry.parent, entry.resume, entry.target])).toEqual([
			['002_b', '001_a', true, 'complete'],
			['003_c', '002_b', false, 'started'],
		]);
	});

	it('refuses, naming the file: gone, edited, new before an applied one, applied out of order, two files for one id', () => {
		expect(refusal(() => planChain('db', [a, c], [applied(a), applied(b)], false))).toMatch(/^db\/002_b\.json: the file of applied migration 002_b is gone — restore it/);
		expect(refusal(() => planChain('db', [a, b], [applied(a), applied(file('002_b.json', 'other'))], false))).toMatch(/^db\/002_b\.json: migration 002_b was applied from a different version of this file/);
		expect(refusal(() => planChain('db', [a, b, c], [applied(a), applied(c)], false))).toMatch(/^db\/002_b\.json is new but sorts before db\/003_c\.sql, which is applied already/);
		expect(refusal(() => planChain('db', [a, b], [applied(b), applied(a)], false))).toMatch(/^db\/001_a\.yaml sorts before db\/002_b\.json, but was applied after it/);
		expect(refusal(() => planChain('db', [a, file('001_a.json')], [], false))).toMatch(/^db\/001_a\.json and db\/001_a\.yaml are both migration 001_a/);
	});

	it('goes on from the newest baseline: what came before it is forgotten, files up to its id are its history, its own file is optional', () => {
		const baseline: AppliedMigration = {id: '001_z_baseline', phase: 'COMPLETE', fingerprint: 'x', baseline: true, startedOnly: false};
		const old = applied(file('000_gone.yaml'));
		expect(planChain('db', [a, b, c], [old, baseline], false).map(entry => [entry.file.id, entry.parent ?? null])).toEqual([
			['002_b', '001_z_baseline'],
			['003_c', '002_b'],
		]);
	});
});
