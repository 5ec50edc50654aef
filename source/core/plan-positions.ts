import YAML, {isMap, isSeq, LineCounter} from 'yaml';

/**
 * Where each of a plan file's operations starts (1-based line and column), by index, for
 * findings a CI can annotate. YAML's parser reads JSON too. Empty when the shape is not a plan's;
 * the plan's validation reports that.
 */
export function operationPositions(text: string): Array<{line: number; column: number}> {
	const lineCounter = new LineCounter();
	const document = YAML.parseDocument(text, {lineCounter, logLevel: 'error'});
	const operations = isMap(document.contents) ? document.contents.get('operations', true) : undefined;
	if (!isSeq(operations)) return [];
	return operations.items.map(item => {
		const offset = (item as {range?: [number, number, number]}).range?.[0] ?? 0;
		const {line, col} = lineCounter.linePos(offset);
		return {line, column: col};
	});
}
