// Each password check is a scrypt (tens of ms of a CPU core): logins from many addresses for many
// emails pass the per-email and per-address limits, so the checks running at once are bounded too.
import { ApiError } from './errors.js';

export class PasswordGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /** At most `concurrency` checks at once and `queue` waiting; beyond that a login is refused at once. */
  constructor(
    private readonly concurrency = 2,
    private readonly queue = 8,
  ) {}

  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
    } else {
      if (this.waiting.length >= this.queue) {
        throw new ApiError('RESOURCE_EXHAUSTED', 'too many logins at once; retry shortly');
      }
      // A finished check hands its place straight to the next in line: `running` stays counted.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await check();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
