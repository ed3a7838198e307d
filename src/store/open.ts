// Picks the storage backend from a store URL: `sqlite:/abs/path.db` or a bare path.
import { CanhazError, StoreUnavailableError } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import { agentSocketOf, checkAgentSocket } from './agent/socket-path.js';
import type { AgentTransport } from './agent/agent-store.js';
import { redactUrl } from './redact-url.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { keptByAgent } from './sqlite/store-files.js';
import { parseStoreUrl } from './store-url.js';

export { DEFAULT_STORE } from './defaults.js';

export interface OpenOptions {
  /** For admin: create the store when missing. */
  create?: boolean;
  /** With `create`: a new SQLite store is private to the caller (see store-files.ts). */
  private?: boolean;
  /**
   * For long-lived commands (run, serve): ride out a Redis restart instead of failing at once; on
   * SQLite, wait for locks without blocking the process and follow a store file that was replaced.
   */
  reconnect?: boolean;
  /** Redis: how long to wait for the other tools' allocation lock. */
  lockWaitMs?: number;
  /** How long ended reservations stay in the history (CANHAZGPU_HISTORY_DAYS; default 90 days). */
  historyRetentionMs?: number;
  /** Redis: this host's name in the fleet sharing it, and the version it records there. */
  host?: string;
  version?: string;
  /**
   * Redis: the socket of this host's agent (`agent_socket`). A one-shot command goes through it when an
   * agent answers there, and talks to Redis itself when none does.
   */
  agentSocket?: string;
  /** Redis: talk to Redis itself, never through the agent (the fleet's commands, which span hosts). */
  direct?: boolean;
}

/** Opens the store the URL names. */
export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  const spec = parseStoreUrl(url);
  if (spec.kind === 'redis') {
    const viaAgent = options.agentSocket && !options.create && !options.reconnect && !options.direct;
    if (viaAgent) {
      const kept = await keptForRedis(options.agentSocket!, redactUrl(spec.url), options.host);
      if (kept) return kept;
    }
    const { RedisStore } = await import('./redis/redis-store.js');
    const { reconnect = false, lockWaitMs, historyRetentionMs, host, version } = options;
    return RedisStore.connect(spec.url, { reconnect, lockWaitMs, historyRetentionMs, host, version });
  }
  if (spec.path !== ':memory:' && keptByAgent(spec.path, agentSocketOf(spec.path))) {
    const { AgentStore } = await import('./agent/agent-store.js');
    return AgentStore.connect(spec.path, { reconnectMs: options.reconnect ? AGENT_RESTART_WAIT_MS : 0 });
  }
  const { historyRetentionMs } = options;
  return options.create
    ? SqliteStore.create(spec.path, { private: options.private, historyRetentionMs })
    : SqliteStore.open(spec.path, { longLived: options.reconnect ?? false, historyRetentionMs });
}

/** A store whose every call goes through `transport`: a command the agent runs for a caller (cli/agent-exec.ts). */
export async function storeThrough(location: string, transport: AgentTransport): Promise<Store> {
  const { AgentStore } = await import('./agent/agent-store.js');
  return AgentStore.through(location, transport);
}

/**
 * The agent keeping the Redis store at `socket`, or null when none answers there (the command then talks to
 * Redis itself). A socket that another user could have put there is refused in one line.
 */
async function keptForRedis(socket: string, location: string, host: string | undefined): Promise<Store | null> {
  const check = checkAgentSocket(socket);
  if (check.kind === 'none') return null;
  if (check.kind === 'untrusted')
    throw new StoreUnavailableError(`agent_socket ${socket}: ${check.why}; unset it or ask root to fix it.`);
  const { AgentStore } = await import('./agent/agent-store.js');
  let agent: Awaited<ReturnType<typeof AgentStore.connectForRedis>> | null = null;
  try {
    agent = await AgentStore.connectForRedis(socket, location);
    // The agent keeps one store and one host's pool: a command set up for another store or host (--store,
    // CANHAZGPU_HOST) talks to its own. An agent too old to say counts as another.
    const kept = await agent.identity(AGENT_ANSWER_MS);
    if (kept.location === location && kept.host === (host ?? null)) return agent;
  } catch (err) {
    if (!(err instanceof CanhazError)) throw err; // a stopped or older agent: Redis itself still answers
  }
  await agent?.close();
  return null;
}

/** How long a command waits for the agent of a Redis store to say which it keeps, before going to Redis itself. */
const AGENT_ANSWER_MS = 2_000;

/** How long `run` and `serve` wait for an agent that restarts (systemd restarts it within seconds). */
const AGENT_RESTART_WAIT_MS = 30_000;
