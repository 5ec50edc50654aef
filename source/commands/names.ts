// Kept apart from the commands themselves, so `--help` can name them without loading them.
export const commands = ['run', 'start', 'complete', 'rollback', 'status', 'latest', 'plan', 'lint', 'seed', 'rehearse', 'migrate', 'convert', 'baseline', 'pull'] as const;
export type CommandName = (typeof commands)[number];
