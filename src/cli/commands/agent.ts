// `canhazgpu agent [--interval SECONDS] [--trust USERS]`: keeps this host's GPU reading fresh in the store,
// so the other commands probe nothing themselves (contrib/systemd/canhazgpu-agent.service runs it). For a
// private store (`admin --private`) it also serves every other user's commands over the store's socket.
import { UsageError } from '../../domain/errors.js';
import { dirname } from 'node:path';
import type { ReadingStore, Store } from '../../domain/ports.js';
import { accessLike, removeBoardFile, writeBoardFile } from '../../host/board-file.js';
import { untrustedOwnDirectory } from '../../host/trusted-path.js';
import { StatusBoardKeeper } from '../../pool/status-board-keeper.js';
import type { ServedStore } from '../../store/agent/agent-service.js';
import { ChangeFeed } from '../../store/agent/change-feed.js';
import { statusBoardPath } from '../../store/agent/socket-path.js';
import { checkStoreFiles } from '../../store/sqlite/store-files.js';
import { parseStoreUrl } from '../../store/store-url.js';
import type { OwnerRef } from '../../domain/reservation.js';
import { QueueJudge } from '../../pool/queue-judge.js';
import { ReadingKeeper } from '../../pool/reading-keeper.js';
import { UnreservedTally } from '../../pool/unreserved-tally.js';
import type { Context } from '../context.js';
import { isReadingStore, poolOn, sharedProbe } from '../pool.js';
import { commandRunner, launcherBuild } from '../agent-exec.js';

export interface AgentOptions {
  interval: string;
  /** Users besides root who may act for others in a private store (the server's service user). */
  trust?: string;
}

export async function agentCommand(opts: AgentOptions, ctx: Context): Promise<number> {
  const seconds = Number(opts.interval);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new UsageError(`--interval must be a number of seconds from 0.1 to 3600, got '${opts.interval}'`);
  }
  const trusted = (opts.trust ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const store = await ctx.openStore({ reconnect: true });
  let socket: ServedStore | null = null;
  let board: StatusBoardKeeper | null = null;
  try {
    const probe = sharedProbe(ctx, store, 'agent');
    if (!probe) throw new UsageError(`the store at ${store.location} cannot keep GPU readings`);
    // Judged on the reading as the users' commands take it (as fresh as an allocation wants, not probed anew).
    const judge = new QueueJudge(poolOn(ctx, store, sharedProbe(ctx, store, 'allocate') ?? probe, false));
    socket =
      (await servePrivateStore(store, trusted, ctx, judge)) ?? (await serveRedisStore(store, trusted, ctx, judge));
    if (!socket && trusted.length > 0) {
      throw new UsageError(
        '--trust applies only to a private store (admin --private) or a Redis store with agent_socket',
      );
    }
    const stop = ctx.shutdownSignal();
    let failing = false;
    const tally = new UnreservedTally(poolOn(ctx, store, probe, false), probe.readings, ctx.config.host);
    const keeper = new ReadingKeeper(
      probe,
      seconds * 1000,
      (err) => {
        if (!failing)
          ctx.stderr.write(`Warning: could not keep the GPU reading (${(err as Error).message}); retrying\n`);
        failing = true;
      },
      tally,
    );
    keeper.start();
    ctx.stdout.write(`canhazgpu agent: keeping the GPU reading of ${ctx.config.host} fresh every ${seconds}s\n`);
    board = statusBoardKeeper(store as Store & ReadingStore, socket, ctx, seconds * 1000);
    board?.start();
    const signal = await stop;
    await keeper.stop();
    ctx.stdout.write(`canhazgpu agent stopping (${signal})\n`);
    return 0;
  } finally {
    await board?.stop();
    await socket?.close();
    ctx.probe.close?.(); // NVML, kept initialised while the agent ran
    await store.close();
  }
}

/** For a private SQLite store of ours: serves the other users' commands on its socket; else null. */
async function servePrivateStore(
  store: Store,
  trusted: string[],
  ctx: Context,
  judge: QueueJudge,
): Promise<ServedStore | null> {
  const { SqliteStore } = await import('../../store/sqlite/sqlite-store.js');
  if (!(store instanceof SqliteStore) || store.layout !== 'private' || store.path === ':memory:') return null;
  const { servePrivateStoreSocket } = await import('../../store/agent/agent-service.js');
  const served = await servePrivateStoreSocket({ store, ...service(trusted, ctx, judge) });
  ctx.stdout.write(`canhazgpu agent: serving the private store ${store.path} at ${served.path}\n`);
  return served;
}

/** For a Redis store with `agent_socket` set: serves this host's commands there, so they load no Redis client. */
async function serveRedisStore(
  store: Store,
  trusted: string[],
  ctx: Context,
  judge: QueueJudge,
): Promise<ServedStore | null> {
  const path = ctx.config.agentSocket;
  if (!path || !store.location.startsWith('redis') || !isReadingStore(store)) return null;
  const { serveRedisStoreSocket } = await import('../../store/agent/agent-service.js');
  const served = await serveRedisStoreSocket(path, {
    store,
    poolHost: ctx.config.host,
    ...service(trusted, ctx, judge),
    commands: commandRunner({
      probe: ctx.probe,
      ownerState: (owner) => ctx.ownerState(owner),
      prober: () => ctx.ownerOf(),
      build: launcherBuild(),
      location: store.location,
      host: ctx.config.host,
    }),
  });
  ctx.stdout.write(`canhazgpu agent: serving the Redis store ${store.location} at ${served.path}\n`);
  return served;
}

/**
 * The status board's keeper (pool/status-board-keeper.ts), beside the store or the Redis store's socket, so that
 * `status` reads one file; null when this run has none (not built, a Redis store without a socket, a directory
 * others could swap files in).
 */
function statusBoardKeeper(
  store: Store & ReadingStore,
  served: ServedStore | null,
  ctx: Context,
  intervalMs: number,
): StatusBoardKeeper | null {
  const build = launcherBuild();
  const spec = parseStoreUrl(ctx.config.storeUrl);
  const path = statusBoardPath(spec, served ? ctx.config.agentSocket : undefined);
  if (build === null || path === null) return null;
  const why = untrustedOwnDirectory(dirname(path));
  if (why) {
    ctx.stderr.write(`canhazgpu agent: no status board at ${path}: ${why}\n`);
    return null;
  }
  // Readable by those who could read the pool without it: through the socket, or the shared store's file.
  const storeFile = spec.kind === 'sqlite' ? spec.path : null;
  const access = () => (served ? accessLike(served.path, 'connect') : accessLike(storeFile!, 'read'));
  const keeper = new StatusBoardKeeper({
    store,
    host: ctx.config.host,
    build,
    clock: ctx.clock,
    owners: { state: (owner) => ctx.ownerState(owner) },
    intervalMs,
    changes: served?.changes ?? new ChangeFeed(store.queue),
    check: spec.kind === 'sqlite' ? () => void checkStoreFiles(spec.path) : undefined,
    write: (text) => writeBoardFile(path, text, access()),
    remove: () => removeBoardFile(path),
    onError: (err) =>
      ctx.stderr.write(
        `canhazgpu agent: could not write the status board ${path} (${(err as Error).message}); status asks the store itself\n`,
      ),
  });
  served?.afterChange(() => keeper.refresh());
  return keeper;
}

/** What the agent's socket service takes besides the store, the same for either kind. */
function service(trusted: string[], ctx: Context, judge: QueueJudge) {
  return {
    trusted,
    clock: ctx.clock,
    owners: { state: (owner: OwnerRef) => ctx.ownerState(owner) },
    staleAfterMs: ctx.config.staleAfterMs,
    judge,
    log: (line: string) => ctx.stderr.write(`canhazgpu agent: ${line}\n`),
  };
}
