import type {DropStmt, Node, RenameStmt} from 'libpg-query';
import {alterCommands, body, kindOf, names, relationName} from '../sql/nodes.js';
import {about, statementRule} from '../sql/statement-rule.js';

const hint = 'use rename_column / drop_column, or mark the sql operation onComplete: true so it runs at contract';

/** What a statement renames or drops that the running application may still use. */
function breakingChange(node: Node, isNew: (table: string) => boolean): string | undefined {
	const kind = kindOf(node);
	if (kind === 'RenameStmt') {
		const rename = body<RenameStmt>(node, kind)!;
		const table = relationName(rename.relation);
		if (isNew(table)) return undefined;
		if (rename.renameType === 'OBJECT_TABLE') return `renames table "${table}"`;
		if (rename.renameType === 'OBJECT_COLUMN') return `renames column "${rename.subname ?? ''}" of "${table}"`;
		return undefined;
	}

	if (kind === 'DropStmt') {
		const drop = body<DropStmt>(node, kind)!;
		if (drop.removeType !== 'OBJECT_TABLE' && drop.removeType !== 'OBJECT_VIEW') return undefined;
		const dropped = (drop.objects ?? []).map(object => names(body<{items?: Node[]}>(object, 'List')?.items).at(-1) ?? '').filter(table => !isNew(table));
		return dropped.length > 0 ? `drops ${drop.removeType === 'OBJECT_VIEW' ? 'view' : 'table'} ${dropped.map(table => `"${table}"`).join(', ')}` : undefined;
	}

	if (kind === 'AlterTableStmt') {
		const table = relationName(body<{relation?: {relname?: string}}>(node, kind)?.relation);
		if (isNew(table)) return undefined;
		const dropped = alterCommands(node).filter(cmd => cmd.subtype === 'AT_DropColumn').map(cmd => `"${cmd.name ?? ''}"`);
		return dropped.length > 0 ? `drops column ${dropped.join(', ')} of "${table}"` : undefined;
	}

	return undefined;
}

// WHY an error? Until contract the old application version is still running: a rename or drop
// before then breaks every query it sends that names the old shape.
export const renameOrDropOutsideContract = statementRule({
	id: 'rename-or-drop-outside-contract',
	severity: 'error',
	description: 'RENAME or DROP of a table or column before the contract phase breaks the running application.',
	alternative: hint,
	visit(visit) {
		const phase = visit.unit.step?.phase;
		if (phase === 'CONTRACTING') return undefined;
		const change = breakingChange(visit.statement.node, visit.state.isNew);
		if (!change) return undefined;
		// A .sql migration has no phases: it breaks whatever version of the application still uses the old name.
		if (!phase) return about(visit, `${change}: every running application that still uses it fails at once`, 'first deploy code that no longer uses it; with zdm, rename_column / drop_column keep both shapes working until contract');
		return about(visit, `${change} in ${phase}, while the old application still uses it`, hint);
	},
});
