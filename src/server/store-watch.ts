// The pool's store as the server uses it, watched: clients get one sentence (503) when it fails, so
// the cause goes to the log, once when an outage starts and once when it ends, never per request.
import type { Store } from '../domain/ports.js';
import { storeTrouble } from './errors.js';

export interface OutageLog {
  down(cause: string): void;
  up(): void;
}

type Method = Exclude<keyof Store, 'location' | 'close'>;

/** `store`, reporting to `log` each change between reachable and failing. */
export function watchedStore(store: Store, log: OutageLog): Store {
  let failing = false;
  const watch = <K extends Method>(name: K): Store[K] =>
    (async (...args: unknown[]) => {
      try {
        const result = await (store[name] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
        if (failing) {
          failing = false;
          log.up();
        }
        return result;
      } catch (err) {
        // Refusals such as "not enough GPUs" are answers: the store is reachable.
        const trouble = storeTrouble(err) !== null;
        if (trouble && !failing) log.down(String((err as Error)?.message ?? err));
        else if (!trouble && failing) log.up();
        failing = trouble;
        throw err;
      }
    }) as Store[K];
  return {
    get location() {
      return store.location;
    },
    initialize: watch('initialize'),
    snapshot: watch('snapshot'),
    allocate: watch('allocate'),
    heartbeat: watch('heartbeat'),
    setOwner: watch('setOwner'),
    releaseToken: watch('releaseToken'),
    releaseManual: watch('releaseManual'),
    extendManual: watch('extendManual'),
    setPolicy: watch('setPolicy'),
    poolOwner: watch('poolOwner'),
    history: watch('history'),
    addUnreserved: watch('addUnreserved'),
    unreserved: watch('unreserved'),
    // The queue's calls are few and follow an allocation's: that one reports the outage.
    queue: store.queue,
    close: () => store.close(),
  };
}
