import type {Finding} from '../core/lint/index.js';
import {findingJson} from '../core/lint/index.js';

export type LintFormat = 'text' | 'json' | 'github';

export const lintFormats: readonly LintFormat[] = ['text', 'json', 'github'];

/** One file's verdict, as the lines to print in the chosen format. */
export function reportLines(file: string, findings: Finding[], format: LintFormat): string[] {
	if (format === 'json') return [JSON.stringify({file, findings: findings.map(findingJson)})];
	if (format === 'github') return findings.map(finding => annotation(file, finding));
	if (findings.length === 0) return [`${file}: no findings`];
	return findings.map(finding => `${file}:${finding.line ?? 1}:${finding.column ?? 1}: ${finding.severity} ${finding.rule}: ${finding.message} — ${finding.hint}`);
}

const githubLevel = {error: 'error', warning: 'warning', info: 'notice'} as const;

// GitHub's workflow commands: %, CR and LF escaped in the message; also : and , in properties.
const escapeData = (text: string) => text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (text: string) => escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');

/** A GitHub Actions annotation: shown on the line of the file in the pull request. */
function annotation(file: string, finding: Finding): string {
	const properties = [`file=${escapeProperty(file)}`, `line=${finding.line ?? 1}`, `col=${finding.column ?? 1}`, `title=${escapeProperty(`zdm-tui ${finding.rule}`)}`];
	return `::${githubLevel[finding.severity]} ${properties.join(',')}::${escapeData(`${finding.message} — ${finding.hint}`)}`;
}
