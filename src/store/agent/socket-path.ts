import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { currentUid, untrustedOwnDirectory } from '../../host/trusted-path.js';
import type { StoreSpec } from '../store-url.js';

/** The agent's socket beside the store it keeps (a store's directory is written by its owner alone). */
export const agentSocketOf = (storePath: string) => `${storePath}.sock`;

/** What a command may make of the socket at `path`: none there (or none it may reach), one to trust, or why not. */
export type AgentSocketCheck = { kind: 'none' } | { kind: 'trusted' } | { kind: 'untrusted'; why: string };

/**
 * Whether the socket at `path` can only be the agent of root or the caller. Its directory must be writable by
 * root or the caller alone (not even sticky): nobody else can have put a socket there that answers as the store.
 */
export function checkAgentSocket(path: string): AgentSocketCheck {
  let socket: ReturnType<typeof lstatSync>;
  try {
    socket = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A directory closed to the caller (a socket for some users only): as if there were none.
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR') return { kind: 'none' };
    return { kind: 'untrusted', why: `${path}: ${code ?? (err as Error).message}` };
  }
  if (!socket.isSocket()) return { kind: 'untrusted', why: `${path} is not a socket` };
  if (socket.uid !== 0 && socket.uid !== currentUid())
    return { kind: 'untrusted', why: `${path} belongs to uid ${socket.uid}, not to root or you` };
  const why = untrustedOwnDirectory(dirname(path));
  return why ? { kind: 'untrusted', why } : { kind: 'trusted' };
}

/** Where the agent keeps its status board: beside the SQLite store it keeps, or beside its socket for a Redis store. */
export function statusBoardPath(spec: StoreSpec, agentSocket: string | undefined): string | null {
  if (spec.kind === 'sqlite') return spec.path === ':memory:' ? null : `${spec.path}.status.json`;
  return agentSocket ? `${agentSocket}.status.json` : null;
}
