// A private store as the commands of other users reach it: every call goes to `canhazgpu agent` over
// its Unix socket, which alone opens the database (see store-gate.ts for what it allows). A dropped
// connection (an agent restart) is made again on the next call.
import type { UnreservedUse } from '../../domain/unreserved.js';
import { connect, type Socket } from 'node:net';
import type { AllocationRequest } from '../../domain/allocation.js';
import { StoreUnavailableError, UsageError } from '../../domain/errors.js';
import type { EndReason, HistoryRecord } from '../../domain/history.js';
import type { Liveness } from '../../domain/liveness.js';
import type { PoolOwner } from '../../domain/pool-owner.js';
import type { ExtendedGpu, GpuReading, InitializeResult, QueueStore, ReadingStore, Store } from '../../domain/ports.js';
import type { AllocationPolicy, OwnerRef, PoolSnapshot } from '../../domain/reservation.js';
import { type AgentAnswer, decodeLine, encodeLine, fromWire, LineSplitter, MAX_ANSWER_BYTES } from './protocol.js';
import { journalOf } from '../sqlite/store-files.js';
import { agentSocketOf } from './socket-path.js';
import { AgentQueue } from './agent-queue.js';

export interface AgentStoreOptions {
  /** Long-lived commands (run's heartbeat, serve) wait this long for an agent that restarts. */
  reconnectMs?: number;
}

type Pending = { resolve(value: unknown): void; reject(err: Error): void };

/** Carries one call to an agent and back: its socket, or (for a command the agent runs itself) its gate. */
export type AgentTransport = (method: string, args: unknown[]) => Promise<unknown>;

export class AgentStore implements Store, ReadingStore {
  readonly location: string;
  private readonly socketPath: string;
  private socket: Socket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  readonly queue: QueueStore = new AgentQueue((method, ...args) => this.call(method, ...args));

  private constructor(
    /** What the messages call the store: a private store's path, or a Redis store's (redacted) URL. */
    private readonly storeName: string,
    location: string,
    socketPath: string,
    private readonly o: AgentStoreOptions,
    /** Why a command must go through the agent, and what to do when none answers. */
    private readonly noAgent: (err: NodeJS.ErrnoException) => string,
    private readonly transport?: AgentTransport,
  ) {
    this.location = location;
    this.socketPath = socketPath;
  }

  /** A private store's agent. Connects now, so a stopped agent is reported before the command does anything. */
  static async connect(storePath: string, options: AgentStoreOptions = {}): Promise<AgentStore> {
    const socketPath = agentSocketOf(storePath);
    const store = new AgentStore(
      storePath,
      `sqlite:${storePath}`,
      socketPath,
      options,
      (err) =>
        `The GPU store ${storePath} is writable by its owner alone, so the canhazgpu agent keeps it, and no agent answers at ${socketPath} (${err.code ?? err.message}): ask root to start it (systemctl start canhazgpu-agent), or, for a shared store, to make it writable by every user (chmod a+rw ${storePath} ${journalOf(storePath)}).`,
    );
    await store.connection();
    return store;
  }

  /**
   * The agent that keeps a Redis store for this host's commands (`agent_socket`), so that they need no Redis
   * client of their own. Connects now: a command whose agent does not answer talks to Redis itself.
   */
  static async connectForRedis(socketPath: string, location: string): Promise<AgentStore> {
    const store = new AgentStore(
      location,
      location,
      socketPath,
      {},
      (err) => `No canhazgpu agent answers at ${socketPath} (${err.code ?? err.message}).`,
    );
    await store.connection();
    return store;
  }

  /**
   * The store as a command the agent runs for a caller sees it: every call goes through `transport` (the gate,
   * as that caller), exactly as it would over the socket.
   */
  static through(location: string, transport: AgentTransport): AgentStore {
    return new AgentStore(location, location, '', {}, () => '', transport);
  }

  private async connection(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const deadline = Date.now() + (this.o.reconnectMs ?? 0);
    for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
      try {
        this.socket = await this.open();
        return this.socket;
      } catch (err) {
        if (Date.now() + wait > deadline) throw this.unreachable(err as NodeJS.ErrnoException);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      socket.setEncoding('utf8');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        this.attach(socket);
        resolve(socket);
      });
    });
  }

  private attach(socket: Socket): void {
    const lines = new LineSplitter(MAX_ANSWER_BYTES);
    socket.on('data', (chunk: string) => {
      try {
        for (const line of lines.push(chunk)) this.settle(decodeLine(line) as AgentAnswer);
      } catch {
        socket.destroy(); // an answer too long or garbled: the calls fail in one line, the command does not crash
      }
    });
    const fail = () => {
      if (this.socket === socket) this.socket = null;
      const lost = new StoreUnavailableError(
        `The canhazgpu agent that keeps the GPU store ${this.storeName} closed the connection; try again.`,
      );
      for (const p of this.pending.values()) p.reject(lost);
      this.pending.clear();
    };
    socket.on('error', fail);
    socket.on('close', fail);
    socket.unref(); // an idle connection keeps no command alive
  }

  private settle(answer: AgentAnswer): void {
    const p = this.pending.get(answer.id);
    if (!p) return;
    this.pending.delete(answer.id);
    if (answer.error) p.reject(fromWire(answer.error));
    else p.resolve(answer.result);
  }

  private unreachable(err: NodeJS.ErrnoException): StoreUnavailableError {
    return new StoreUnavailableError(this.noAgent(err));
  }

  private async call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.transport) return (await this.transport(method, args)) as T;
    const socket = await this.connection();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.ref(); // a call in flight keeps the process up until it is answered
      socket.write(encodeLine({ id, method, args }));
    }).finally(() => {
      if (this.pending.size === 0) socket.unref();
    });
  }

  initialize(gpuCount: number, force: boolean, now: number, owner?: PoolOwner): Promise<InitializeResult> {
    return this.call('initialize', gpuCount, force, now, owner ?? null);
  }
  poolOwner(): Promise<PoolOwner | null> {
    return this.call('poolOwner');
  }
  snapshot(): Promise<PoolSnapshot> {
    return this.call('snapshot');
  }
  allocate(request: AllocationRequest): Promise<number[]> {
    return this.call('allocate', request);
  }
  heartbeat(token: string, now: number): Promise<number[]> {
    return this.call('heartbeat', token, now);
  }
  setOwner(token: string, owner: OwnerRef): Promise<number[]> {
    return this.call('setOwner', token, owner);
  }
  releaseToken(token: string, now: number, reason: EndReason = 'released'): Promise<number[]> {
    return this.call('releaseToken', token, now, reason);
  }
  history(from: number, to: number): Promise<HistoryRecord[]> {
    return this.call('history', from, to);
  }
  addUnreserved(uses: readonly UnreservedUse[], now: number): Promise<void> {
    return this.call('addUnreserved', uses, now);
  }
  unreserved(from: number, to: number): Promise<UnreservedUse[]> {
    return this.call('unreserved', from, to);
  }
  releaseManual(user: string, now: number, liveness: Liveness, only?: readonly number[] | null): Promise<number[]> {
    return this.call('releaseManual', user, now, liveness, only ?? null);
  }
  extendManual(user: string, now: number, liveness: Liveness, byMs: number): Promise<ExtendedGpu[]> {
    return this.call('extendManual', user, now, liveness, byMs);
  }
  setPolicy(policy: AllocationPolicy): Promise<void> {
    return this.call('setPolicy', policy);
  }
  latestReading(host: string): Promise<GpuReading | null> {
    return this.call('latestReading', host);
  }
  saveReading(reading: GpuReading): Promise<void> {
    return this.call('saveReading', reading);
  }
  claimProbe(host: string, now: number, holdMs: number, prober?: OwnerRef, replacing?: OwnerRef): Promise<boolean> {
    return this.call('claimProbe', host, now, holdMs, prober ?? null, replacing ?? null);
  }
  /** An agent too old to say counts as not saying: its commands wait the lock out. */
  proberOf(host: string, now: number): Promise<OwnerRef | null> {
    return this.call<OwnerRef | null>('proberOf', host, now).catch((err: unknown) => {
      if (err instanceof UsageError) return null;
      throw err;
    });
  }

  /** Which store and pool the agent keeps (its store's location, and a Redis store's host). */
  identity(timeoutMs: number): Promise<{ location: string; host: string | null }> {
    // An agent that accepts but never answers (a stopped process: the kernel still queues connections).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.socket?.destroy();
        reject(
          new StoreUnavailableError(`The canhazgpu agent at ${this.socketPath} did not answer within ${timeoutMs} ms.`),
        );
      }, timeoutMs);
    });
    return Promise.race([this.call<{ location: string; host: string | null }>('identity'), late]).finally(() =>
      clearTimeout(timer),
    );
  }

  async close(): Promise<void> {
    if (this.transport) return; // the agent's own store stays open
    this.socket?.end();
    this.socket = null;
  }
}
