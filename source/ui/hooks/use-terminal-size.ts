import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

// Clear the visible screen and put the cursor home; the scrollback stays.
const clearScreen = '\u001B[2J\u001B[H';

/** Terminal size that follows resizes; a stream with no rows (tests, pipes) counts as 80×24. */
export default function useTerminalSize(): {columns: number; rows: number} {
	const {stdout, write} = useStdout();
	const read = () => ({columns: stdout.columns || 80, rows: stdout.rows || 24});
	const [size, setSize] = useState(read);
	useEffect(() => {
		const onResize = () => setSize(read());
		// WHY clear on SIGWINCH? A terminal that grows pulls lines back from its scrollback above
		// the frame (tmux does), and Ink erases only its own lines: stale rows would sit above the
		// header. Ink's write() redraws the whole frame after what it writes, so the frame lands on
		// a clean screen, at the top. WHY the signal, not 'resize'? While a batch holds the event
		// loop, a shrink and a grow arrive as one signal; Node sees the old size and emits no
		// 'resize', but the screen has changed all the same.
		const onSignal = () => {
			write(clearScreen);
			onResize();
		};

		const terminal = stdout === process.stdout && stdout.isTTY;
		if (terminal) process.on('SIGWINCH', onSignal);
		else stdout.on('resize', onResize);
		return () => {
			if (terminal) process.off('SIGWINCH', onSignal);
			else stdout.off('resize', onResize);
		};
	}, [stdout, write]);
	return size;
}
