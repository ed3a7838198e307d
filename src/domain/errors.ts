// Errors a user sees: each carries the one line printed after `Error: `.

export class CanhazError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments. */
export class UsageError extends CanhazError {}

export class PoolNotInitializedError extends CanhazError {
  constructor() {
    super("GPU pool not initialized. Run 'canhazgpu admin --gpus <count>' first.");
  }
}

export class PoolAlreadyInitializedError extends CanhazError {
  constructor(readonly gpuCount: number) {
    super(
      `GPU pool already initialized with ${gpuCount} GPUs. Use --force to reinitialize (this clears all reservations).`,
    );
  }
}

export class NotEnoughGpusError extends CanhazError {
  constructor(
    readonly requested: number,
    readonly available: number,
    /** Free GPUs left out because something uses them without a reservation. */
    readonly unreservedInUse: number,
    /** Free GPUs left out because nvidia-smi does not list them (a pool larger than the machine). */
    readonly notFound = 0,
  ) {
    const counts = [
      ...(unreservedInUse > 0 ? [`${unreservedInUse} GPUs in use without reservation`] : []),
      ...(notFound > 0 ? [`${notFound} GPUs not found by nvidia-smi`] : []),
    ];
    const detail = counts.length > 0 ? ` (${counts.join(', ')} - run 'canhazgpu status' for details)` : '';
    super(`Not enough GPUs available. Requested: ${requested}, Available: ${available}${detail}`);
  }
}

/** The store cannot be reached, opened or written; the message names where and what to do. */
export class StoreUnavailableError extends CanhazError {}

/** The wait queue changed between the caller's look and its allocation: look again (never shown to users). */
export class QueueChangedError extends Error {}

/** Free GPUs there are, but earlier waiters need them: the request would jump the queue. */
export class HeldForQueueError extends NotEnoughGpusError {
  constructor(requested: number, available: number, held: number, waiters: number) {
    super(requested, available, 0);
    this.message = `Not enough GPUs available. Requested: ${requested}, Available: ${available} (${held} free GPUs kept for ${waiters} earlier waiting request(s) - run 'canhazgpu queue' for details)`;
  }
}
