#!/usr/bin/env node
// Turn a terminal screen captured with `tmux capture-pane -e -p` (ANSI text) into an SVG, so the
// README's picture is the real screen rather than a drawing. Usage: ansi-to-svg.mjs < in > out.svg
import {readFileSync} from 'node:fs';

const cell = {width: 8.4, height: 18};
const font = 14;
const background = '#1d1f21';
const foreground = '#d0d3d0';
const palette = ['#1d1f21', '#cc6666', '#b5bd68', '#f0c674', '#81a2be', '#b294bb', '#8abeb7', '#c5c8c6'];
const bright = ['#666666', '#d54e53', '#b9ca4a', '#e7c547', '#7aa6da', '#c397d8', '#70c0b1', '#eaeaea'];

const escapeXml = text => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function applySgr(style, codes) {
	const list = codes.length === 0 ? [0] : codes;
	for (let index = 0; index < list.length; index++) {
		const code = list[index];
		if (code === 0) Object.assign(style, {fg: undefined, bg: undefined, bold: false, dim: false, inverse: false, underline: false});
		else if (code === 1) style.bold = true;
		else if (code === 2) style.dim = true;
		else if (code === 4) style.underline = true;
		else if (code === 7) style.inverse = true;
		else if (code === 22) Object.assign(style, {bold: false, dim: false});
		else if (code === 24) style.underline = false;
		else if (code === 27) style.inverse = false;
		else if (code >= 30 && code <= 37) style.fg = palette[code - 30];
		else if (code >= 90 && code <= 97) style.fg = bright[code - 90];
		else if (code === 39) style.fg = undefined;
		else if (code >= 40 && code <= 47) style.bg = palette[code - 40];
		else if (code === 49) style.bg = undefined;
		else if ((code === 38 || code === 48) && list[index + 1] === 5) index += 2;
		else if ((code === 38 || code === 48) && list[index + 1] === 2) index += 4;
	}
}

/** Each line as runs of text sharing one style, with the column each starts at. */
function parse(text) {
	const style = {};
	return text.replace(/\s+$/, '').split('\n').map(line => {
		const runs = [];
		let column = 0;
		for (const part of line.split(/(\u001B\[[\d;]*m)/)) {
			const sgr = /^\u001B\[([\d;]*)m$/.exec(part);
			if (sgr) {
				applySgr(style, sgr[1] === '' ? [] : sgr[1].split(';').map(Number));
				continue;
			}

			const chars = [...part.replaceAll(/\u001B\[[\d;?]*[A-Za-z]/g, '')];
			if (chars.length === 0) continue;
			runs.push({column, text: chars.join(''), style: {...style}});
			column += chars.length;
		}

		return runs;
	});
}

function render(lines) {
	const columns = Math.max(80, ...lines.map(runs => runs.reduce((end, run) => Math.max(end, run.column + [...run.text].length), 0)));
	const width = Math.ceil(columns * cell.width + 24);
	const height = Math.ceil(lines.length * cell.height + 24);
	const out = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace" font-size="${font}">`,
		`<rect width="100%" height="100%" rx="6" fill="${background}"/>`,
	];
	lines.forEach((runs, row) => {
		const y = 12 + row * cell.height;
		for (const run of runs) {
			const x = 12 + run.column * cell.width;
			const length = [...run.text].length;
			let fg = run.style.fg ?? foreground;
			let bg = run.style.bg;
			if (run.style.inverse) [fg, bg] = [bg ?? background, fg];
			if (bg) out.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${(length * cell.width).toFixed(1)}" height="${cell.height}" fill="${bg}"/>`);
			if (run.text.trim() === '') continue;
			const attributes = [
				`x="${x.toFixed(1)}"`,
				`y="${y + cell.height - 5}"`,
				`fill="${fg}"`,
				`textLength="${(length * cell.width).toFixed(1)}"`,
				'lengthAdjust="spacingAndGlyphs"',
				'xml:space="preserve"',
				run.style.bold ? 'font-weight="bold"' : '',
				run.style.dim ? 'opacity="0.6"' : '',
				run.style.underline ? 'text-decoration="underline"' : '',
			].filter(Boolean);
			out.push(`<text ${attributes.join(' ')}>${escapeXml(run.text)}</text>`);
		}
	});
	out.push('</svg>');
	return out.join('\n') + '\n';
}

process.stdout.write(render(parse(readFileSync(0, 'utf8'))));
