import type {CommandFlags} from '../commands/options.js';
import type {PlanFile} from '../core/plan-file.js';
import type {Plan} from '../core/plan.js';
import type {Database} from '../db/database.js';
import {readCatalog} from '../db/catalog.js';
import {applicationSchemas} from '../services/version-schemas.js';
import {trafficShapes} from './shape.js';
import {Traffic, type TrafficOptions, type TrafficSnapshot} from './traffic.js';

export {Traffic, type TrafficOptions, type TrafficSnapshot} from './traffic.js';
export type {VersionMetrics, Verdict, VersionState} from './metrics.js';
export type {VersionName} from './values.js';

/** What the command line says of the traffic: the rate is the caller's (run and the dashboard default differently). */
export const trafficOptions = (flags: CommandFlags, rate: number): TrafficOptions => ({rate, lockTimeoutMs: flags.lockTimeout, thresholdMs: flags.waitThreshold});

/**
 * Derive both versions from the plan and the catalog as it is now; nothing runs until start().
 * v2 uses the plan's version schema; v1 the previous migration's, or the base schema.
 */
export async function prepareTraffic(db: Database, file: PlanFile, plan: Pick<Plan, 'schema' | 'versionSchema'>, options: TrafficOptions): Promise<Traffic> {
	const catalog = await readCatalog(db, plan.schema);
	return Traffic.create(db, trafficShapes(file, catalog), applicationSchemas(catalog, plan), options);
}

const round = (value: number) => Math.round(value * 10) / 10;

/** The `traffic` object of the `run --json` summary line. */
export function trafficSummary(snapshot: TrafficSnapshot) {
	const version = (name: 'v1' | 'v2') => {
		const v = snapshot.versions[name];
		return {
			requests: v.requests,
			rps: v.rps,
			errors: v.errors,
			...(v.lastError ? {lastError: v.lastError} : {}),
			...(v.shed > 0 ? {shed: v.shed} : {}),
			p50Ms: round(v.p50Ms),
			p99Ms: round(v.p99Ms),
			maxWaitMs: round(v.maxWaitMs),
			state: v.state,
		};
	};

	return {
		rate: snapshot.rate,
		concurrent: snapshot.concurrent,
		v1: version('v1'),
		v2: version('v2'),
		zeroDowntime: snapshot.verdict.zeroDowntime,
		thresholdMs: snapshot.verdict.thresholdMs,
		...(snapshot.verdict.reasons.length > 0 ? {reasons: snapshot.verdict.reasons} : {}),
	};
}

/** Short human lines for the end of a headless run. */
export function formatTraffic(snapshot: TrafficSnapshot): string[] {
	const line = (name: 'v1' | 'v2') => {
		const v = snapshot.versions[name];
		if (v.requests === 0) return `  ${name}: no requests (${v.state === 'waiting' ? 'never deployed' : v.state})`;
		return `  ${name}: ${v.requests} requests (${v.rps}/s), ${v.errors} errors, p50 ${round(v.p50Ms)} ms, p99 ${round(v.p99Ms)} ms, longest wait ${round(v.maxWaitMs)} ms${v.state === 'retired' ? ', retired' : ''}`;
	};

	if (snapshot.tables.length === 0) return ['traffic: the plan touches no table; nothing to simulate'];
	const {verdict} = snapshot;
	return [
		`traffic (${snapshot.rate} requests/s per version, ${snapshot.concurrent ? 'concurrent connections' : 'interleaved with the migration'}):`,
		line('v1'),
		line('v2'),
		verdict.zeroDowntime ? `  zero downtime: no errors, longest wait under ${verdict.thresholdMs} ms` : `  NOT zero downtime: ${verdict.reasons.join('; ')}`,
	];
}
