import type {Catalog} from '../core/catalog.js';
import type {Plan} from '../core/plan.js';
import type {Database} from '../db/database.js';
import {readCatalog} from '../db/catalog.js';
import type {VersionName} from '../traffic/values.js';

/**
 * The schema each version puts on its search_path: v2 the plan's version schema; v1 the previous
 * migration's version schema while it exists, or else the base schema.
 */
export function applicationSchemas(catalog: Pick<Catalog, 'previousVersion'>, plan: Pick<Plan, 'schema' | 'versionSchema'>): Record<VersionName, string> {
	const previous = catalog.previousVersion?.name;
	return {v1: previous && previous !== plan.versionSchema ? previous : plan.schema, v2: plan.versionSchema};
}

export async function readApplicationSchemas(db: Database, plan: Pick<Plan, 'schema' | 'versionSchema'>): Promise<Record<VersionName, string>> {
	return applicationSchemas(await readCatalog(db, plan.schema), plan);
}
