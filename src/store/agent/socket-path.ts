import { lstatSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { currentUid, untrustedDirectory } from '../../host/trusted-path.js';

/** The agent's socket beside the store it keeps (a store's directory is written by its owner alone). */
export const agentSocketOf = (storePath: string) => `${storePath}.sock`;

/**
 * Why the socket at `path` may not be the agent of root or the caller: 'missing', what is wrong, or null.
 * Its directory must be writable by root or the caller alone (not even sticky): nobody else can have put
 * a socket there that answers as the store.
 */
export function untrustedSocket(path: string): string | null {
  let socket: ReturnType<typeof lstatSync>;
  try {
    socket = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A directory closed to the caller (a socket for some users only): as if there were none.
    return code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR'
      ? 'missing'
      : `${path}: ${code ?? (err as Error).message}`;
  }
  if (!socket.isSocket()) return `${path} is not a socket`;
  if (socket.uid !== 0 && socket.uid !== currentUid())
    return `${path} belongs to uid ${socket.uid}, not to root or you`;
  return untrustedSocketDirectory(dirname(path));
}

/** Why `dir` may not hold an agent's socket: unless only root or the caller may write it (not even sticky). */
export function untrustedSocketDirectory(dir: string): string | null {
  try {
    if ((statSync(dir).mode & 0o022) !== 0) return `${dir} is writable by other users`;
    return untrustedDirectory(dir);
  } catch (err) {
    return `${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}
