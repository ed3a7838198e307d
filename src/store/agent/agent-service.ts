// The agent's private-store service, put together: the gate over the store, the socket beside it, and
// callers named by the kernel's peer credentials.
import { statSync } from 'node:fs';
import { hostIdentity } from '../../host/proc.js';
import { peerCredentials } from '../../host/peer-credentials.js';
import { currentUid } from '../../host/trusted-path.js';
import { cachedUserNames } from '../../host/users.js';
import type { Clock, OwnerProcesses } from '../../domain/ports.js';
import type { SqliteStore } from '../sqlite/sqlite-store.js';
import type { AgentQueueJudge } from './queue-gate.js';
import { agentSocketOf } from './socket-path.js';
import { type Caller, StoreGate } from './store-gate.js';
import { serveStoreSocket } from './store-socket.js';

export interface PrivateStoreServiceOptions {
  store: SqliteStore;
  /** User names besides root and ours that act as a direct store would (the server's user). */
  trusted: readonly string[];
  clock: Clock;
  owners: OwnerProcesses;
  staleAfterMs: number;
  /** Judges the wait queue for the users it does not trust (pool/queue-judge.ts, on the agent's reading). */
  judge: AgentQueueJudge;
  log(line: string): void;
}

/** The uid a process runs as (its /proc entry's owner), or null when it is gone. */
function processUid(pid: number): number | null {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
}

export async function servePrivateStoreSocket(
  o: PrivateStoreServiceOptions,
): Promise<{ path: string; close(): Promise<void> }> {
  const gate = new StoreGate({
    store: o.store,
    clock: o.clock,
    owners: o.owners,
    staleAfterMs: o.staleAfterMs,
    host: hostIdentity,
    processUid,
    judge: o.judge,
  });
  const me = currentUid();
  const nameOf = cachedUserNames();
  const identify = async (socket: Parameters<typeof peerCredentials>[0]): Promise<Caller> => {
    const { uid } = peerCredentials(socket);
    const user = await nameOf(uid);
    return { uid, user, trusted: uid === 0 || uid === me || o.trusted.includes(user) };
  };
  const path = agentSocketOf(o.store.path);
  const socket = await serveStoreSocket({ path, gate, identify, log: o.log });
  return { path, close: socket.close };
}
