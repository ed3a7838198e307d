// At most `max` tasks at once, the others waiting their turn in order; with `maxWaiting`, a task that
// finds the queue full is refused at once instead of waiting (`onFull` says how).

export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxWaiting = Infinity,
    private readonly onFull: () => Error = () => new Error('too many tasks waiting'),
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.max) {
      this.running++;
    } else {
      if (this.waiting.length >= this.maxWaiting) throw this.onFull();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (`running` stays counted), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
