// Keeps the status board (domain/status-board.ts) current while the agent runs: written again after every change
// the agent makes or hears of (its gate's calls, another process's commit on SQLite, a release or a waiter leaving
// on Redis) and at least every second, so what `status` reads from it is never more than a second behind what the
// agent cannot hear at once (a heartbeat, the Python and Go tools' writes). Taken away when the agent stops.
import { judgeOwners } from '../domain/liveness.js';
import type { Clock, OwnerProcesses, ReadingStore, Store } from '../domain/ports.js';
import { composeBoard } from '../domain/status-board.js';

/** The longest a board goes unwritten, whatever the reading interval: owners that died show within it. */
const MAX_PERIOD_MS = 1_000;
/** How long past its next writing a board stays current for readers: a busy agent or a slow store read. */
const SLACK_MS = 2_000;

/** A wait that keeps no process alive (the agent may be stopping). */
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Changes to the pool (ChangeFeed). */
export interface PoolChanges {
  /** Resolves at the next change, or after `ms`. */
  next(ms: number): Promise<void>;
}

export interface StatusBoardKeeperOptions {
  store: Store & ReadingStore;
  host: string;
  build: string;
  clock: Clock;
  owners: OwnerProcesses;
  /** The reading interval (`agent --interval`): the board is written at least this often, and every second. */
  intervalMs: number;
  changes: PoolChanges;
  /** Throws for a store the commands would refuse (a planted journal, say): no board then, so they say so. */
  check?: () => void;
  write(text: string): void;
  remove(): void;
  /** A board that could not be written; told once until one is written again. */
  onError(err: unknown): void;
}

export class StatusBoardKeeper {
  private stopped = false;
  private wake: () => void = () => {};
  private running: Promise<void> = Promise.resolve();
  /** The board being written, and one more asked for meanwhile (it reads the store after the first is written). */
  private writing: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly o: StatusBoardKeeperOptions) {}

  private get periodMs(): number {
    return Math.min(this.o.intervalMs, MAX_PERIOD_MS);
  }

  start(): void {
    const stopping = new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    this.running = (async () => {
      let failing = false;
      while (!this.stopped) {
        // Listening from before the store is read: a change made while the board is written is heard too.
        const heard = this.o.changes.next(this.periodMs);
        try {
          await this.refresh();
          failing = false;
        } catch (err) {
          if (!failing) this.o.onError(err);
          failing = true;
        }
        // After a failure the next try waits its period: a store that fails at once would otherwise spin.
        await Promise.race([failing ? pause(this.periodMs) : heard, stopping]);
      }
    })();
  }

  /**
   * Writes the board from the store as it is from now on: after a change, the board then shows it (the agent's
   * gate waits for this before it answers a call that changed the pool). Refreshes asked for while one is being
   * written share the next. A board that cannot be written is taken away: the commands then read the store.
   */
  refresh(): Promise<void> {
    if (this.next) return this.next;
    if (!this.writing) {
      this.writing = this.write().finally(() => {
        this.writing = null;
      });
      return this.writing;
    }
    this.next = this.writing
      .catch(() => {})
      .then(() => {
        this.next = null;
        return this.refresh();
      });
    return this.next;
  }

  private async write(): Promise<void> {
    const { store, host, clock } = this.o;
    try {
      this.o.check?.();
      const [snapshot, reading] = await Promise.all([store.snapshot(), store.latestReading(host)]);
      const { dead, live } = judgeOwners(snapshot.slots, (owner) => this.o.owners.state(owner));
      const board = composeBoard({
        build: this.o.build,
        location: store.location,
        host,
        writtenAt: clock.now(),
        validForMs: this.periodMs + SLACK_MS,
        snapshot,
        reading: reading && { takenAt: reading.takenAt, usage: reading.usage },
        liveness: { deadTokens: dead, liveTokens: live },
      });
      if (!this.stopped) this.o.write(JSON.stringify(board));
    } catch (err) {
      this.o.remove();
      throw err;
    }
  }

  /** Stops after the board in writing, and takes it away. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
    await this.next?.catch(() => {});
    this.o.remove();
  }
}
