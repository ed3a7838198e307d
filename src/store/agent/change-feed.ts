// How the agent tells waiters that GPUs or the queue may have changed. Its own writes go through one
// database connection, and SQLite's change counter (what SqliteQueue.changed watches) counts only other
// connections' commits: so the gate reports its own changes here, and one watcher, shared by every
// waiting caller, hears the writes of other processes (root's commands, which open the store directly).
import type { QueueStore } from '../../domain/ports.js';

/** How long the shared watcher watches the file at a time. */
const WATCH_MS = 1_000;

export class ChangeFeed {
  private readonly listeners = new Set<() => void>();
  private watching = false;
  /** Counts the changes heard, so a caller can ask for those since its last look. */
  generation = 0;

  /** `queue`: the store's own, which hears other processes' writes; absent, only the agent's are heard. */
  constructor(private readonly queue?: QueueStore) {}

  /** Something changed who holds or who waits: every caller waiting looks again. */
  changed(): void {
    this.generation++;
    const waiting = [...this.listeners];
    this.listeners.clear();
    for (const wake of waiting) wake();
  }

  /** Resolves at once when something changed after generation `since`, else at the next change, or after `ms`. */
  next(ms: number, since = this.generation): Promise<void> {
    if (since !== this.generation) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.listeners.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.listeners.add(wake);
      void this.watch();
    });
  }

  private async watch(): Promise<void> {
    if (this.watching || !this.queue) return;
    this.watching = true;
    try {
      while (this.listeners.size > 0) {
        // Heard of a change (or the store could not be read, which counts as one).
        if (await this.queue.changed(WATCH_MS)) this.changed();
      }
    } catch {
      this.changed(); // a store that failed: the callers look again and hear of it themselves
    } finally {
      this.watching = false;
    }
  }
}
