// A bound on a whole provider operation (its calls, retries and pages together): the server's start
// awaits heldForServer() before it listens, so a hung marketplace must not hold it up for minutes.

/** How long listing what a marketplace holds for the server may take, all calls together. */
export const HELD_LIST_DEADLINE_MS = 10_000;

export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  work.catch(() => undefined); // a late failure is nobody's to handle
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
