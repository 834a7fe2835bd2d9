import { isDancuError } from '../errors.js';

/** What a file system error code means, in the words a command line user needs. */
const ERRNO: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory, where a file was expected',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/**
 * The one line (and its fix) the CLI prints for an error that ends a command: which command, what
 * went wrong and, for a path it could not read, which option gave that path. Never a stack, never
 * a raw `ENOENT: no such file or directory, open '…'`.
 */
export function cliErrorMessage(err: unknown, argv: readonly string[]): string {
  const cmd = ['dancu', ...argv.slice(0, argv[0] === 'audit' ? 2 : 1)].join(' ');
  const e = err as { code?: unknown; path?: unknown; message?: unknown } | null;
  if (!isDancuError(err) && typeof e?.code === 'string' && ERRNO[e.code] && typeof e.path === 'string') {
    const i = argv.indexOf(e.path);
    const option = i > 0 && argv[i - 1]!.startsWith('--') ? argv[i - 1] : undefined;
    const fix = option === '--config'
      ? 'check the path given to --config (an example ships in node_modules/dancu/examples/deployment/dancu.config.json)'
      : option ? `check the path given to ${option}` : 'check the path';
    return `${cmd}: cannot read ${e.path}: ${ERRNO[e.code]}.\n  Fix: ${fix}.`;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (isDancuError(err) && message.includes('no audit trail directory')) {
    return `${cmd}: ${message.slice(message.indexOf(': ') + 2)}.\n  Fix: pass the directory that holds the trail (the client's audit.directory, default ./dancu-audit).`;
  }
  return `${cmd}: ${message}`;
}
