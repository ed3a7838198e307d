// How long providers may take: a slow or hung one must hold up no request but its own.

export interface ProviderTimeouts {
  /** A provider that has not answered by then has failed this creation; a late success is undone. */
  createMs: number;
  /** A provider that cannot list (or say what it still holds) by then counts as down for this request. */
  listMs: number;
}

export const DEFAULT_PROVIDER_TIMEOUTS: ProviderTimeouts = { createMs: 30_000, listMs: 10_000 };

/** `work`, or a rejection naming `what` after `ms`; `onLate` gets a result that arrives after that. */
export function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  onLate: (value: T) => unknown = () => undefined,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      work.then(onLate).catch(() => undefined);
      reject(new Error(`${what} did not answer within ${ms / 1000} s`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
