// The agent's private-store service, put together: the gate over the store, the socket beside it, and
// callers named by the kernel's peer credentials.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostIdentity } from '../../host/proc.js';
import { peerCredentials } from '../../host/peer-credentials.js';
import { currentUid, untrustedOwnDirectory } from '../../host/trusted-path.js';
import { cachedUserNames } from '../../host/users.js';
import type { Clock, OwnerProcesses, ReadingStore, Store } from '../../domain/ports.js';
import { UsageError } from '../../domain/errors.js';
import type { SqliteStore } from '../sqlite/sqlite-store.js';
import type { ChangeFeed } from './change-feed.js';
import type { AgentQueueJudge } from './queue-gate.js';
import { agentSocketOf } from './socket-path.js';
import { type Caller, StoreGate } from './store-gate.js';
import { serveStoreSocket } from './store-socket.js';

export interface StoreServiceOptions {
  store: Store & ReadingStore;
  /** User names besides root and ours that act as a direct store would (the server's user). */
  trusted: readonly string[];
  clock: Clock;
  owners: OwnerProcesses;
  staleAfterMs: number;
  /** Judges the wait queue for the users it does not trust (pool/queue-judge.ts, on the agent's reading). */
  judge: AgentQueueJudge;
  /** A Redis store's: the fleet host whose pool it is. */
  poolHost?: string;
  log(line: string): void;
  /** Whole commands the agent runs for its callers (`exec`), on the gate as each caller. */
  commands?: (gate: StoreGate) => (caller: Caller, args: unknown[]) => Promise<unknown>;
}

/** The agent's socket, served: where, how to stop it, and the changes its gate makes or hears of. */
export interface ServedStore {
  path: string;
  close(): Promise<void>;
  changes: ChangeFeed;
  /** What the gate awaits after each call that changed the pool, before it answers (see StoreGate.afterChange). */
  afterChange(fn: () => Promise<void>): void;
}

/** The uid a process runs as (its /proc entry's owner), or null when it is gone. */
function processUid(pid: number): number | null {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
}

/** A private store's service, on the socket beside it. */
export function servePrivateStoreSocket(o: StoreServiceOptions & { store: SqliteStore }): Promise<ServedStore> {
  return serveStoreAt(agentSocketOf(o.store.path), o);
}

/**
 * The service for a Redis store at the socket `agent_socket` names, so this host's commands need no Redis
 * client of their own. Its directory must be writable by us alone: the socket is made and replaced there.
 */
export function serveRedisStoreSocket(path: string, o: StoreServiceOptions): Promise<ServedStore> {
  const why = untrustedOwnDirectory(dirname(path));
  if (why) throw new UsageError(`agent_socket ${path}: ${why}`);
  return serveStoreAt(path, o);
}

async function serveStoreAt(path: string, o: StoreServiceOptions): Promise<ServedStore> {
  const gate = new StoreGate({
    store: o.store,
    clock: o.clock,
    owners: o.owners,
    staleAfterMs: o.staleAfterMs,
    host: hostIdentity,
    processUid,
    judge: o.judge,
    poolHost: o.poolHost,
  });
  const me = currentUid();
  const nameOf = cachedUserNames();
  const identify = async (socket: Parameters<typeof peerCredentials>[0]): Promise<Caller> => {
    const { uid } = peerCredentials(socket);
    const user = await nameOf(uid);
    return { uid, user, trusted: uid === 0 || uid === me || o.trusted.includes(user) };
  };
  const socket = await serveStoreSocket({ path, gate, identify, log: o.log, exec: o.commands?.(gate) });
  return {
    path,
    close: socket.close,
    changes: gate.changes,
    afterChange: (fn) => {
      gate.afterChange = fn;
    },
  };
}
