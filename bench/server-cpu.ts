import {execFileSync} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';

/**
 * CPU time the server's processes used, read from /proc (Linux): what a contender cost the
 * machine, apart from how long it took. WHY? On two cores a backfill that leaves the writers
 * their CPU takes longer than a big UPDATE that stops them; its CPU time says whether it also did
 * more work.
 */
const ticksPerSecond = (() => {
	try {
		return Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100;
	} catch {
		return 100;
	}
})();

/** utime, stime, cutime, cstime and the parent, of one process; undefined once it is gone. */
function stat(pid: number | 'self'): {own: number; children: number; parent: number} | undefined {
	try {
		const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The name in parentheses may hold spaces: the fields start after its closing one.
		const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
		const ms = (index: number) => (Number(fields[index]) * 1000) / ticksPerSecond;
		return {own: ms(11) + ms(12), children: ms(13) + ms(14), parent: Number(fields[1])};
	} catch {
		return undefined;
	}
}

/**
 * The server's CPU so far: every live server process's own time, plus the backends that have
 * exited (the postmaster reaps them, so their time is in its children's figure).
 */
export function serverCpuMs(postmaster: number): number {
	const own = stat(postmaster);
	let total = (own?.children ?? 0) + (own?.own ?? 0);
	for (const entry of readdirSync('/proc')) {
		const pid = Number(entry);
		if (!Number.isInteger(pid) || pid === postmaster) continue;
		const process = stat(pid);
		if (process?.parent === postmaster) total += process.own;
	}

	return total;
}

/** The CPU time of the given live processes (the writers' backends), summed. */
export function processesCpuMs(pids: number[]): number {
	return pids.reduce((sum, pid) => sum + (stat(pid)?.own ?? 0), 0);
}

/** This process's reaped children (a `zdm-tui run` it spawned and waited for). */
export function childrenCpuMs(): number {
	return stat('self')?.children ?? 0;
}

/** The postmaster of a backend: its parent process. */
export function postmasterOf(backend: number): number | undefined {
	return stat(backend)?.parent;
}
