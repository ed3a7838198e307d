// Where a Redis store keeps each host's keys. On one server: the plain keys are one host's pool, shared
// with the Python and Go tools (fleet-schema.ts), and the readings are `canhazgpu:reading:H`. On a Redis
// Cluster every key of a host carries its name as a hash tag, `canhazgpu:{H}:…`, pool and reading alike:
// the plain pool's GPU keys hash to different slots, so no script could take them together there.
import { keysOfHost, taggedKeysOf } from './fleet-schema.js';
import { type PoolKeys, readingKey, readingLockKey } from './schema.js';

export interface KeyLayout {
  /** Whether the plain keys can be a pool (and `canhazgpu:pool_host` says whose). */
  readonly plainPool: boolean;
  pool(host: string, plainHost: string | null): PoolKeys;
  /** A host's latest GPU reading, and the lock that elects its one prober (set and cleared together). */
  reading(host: string): string;
  readingLock(host: string): string;
}

export const SERVER_LAYOUT: KeyLayout = {
  plainPool: true,
  pool: keysOfHost,
  reading: readingKey,
  readingLock: readingLockKey,
};

export const CLUSTER_LAYOUT: KeyLayout = {
  plainPool: false,
  pool: (host) => taggedKeysOf(host),
  reading: (host) => taggedKeysOf(host).key('reading'),
  readingLock: (host) => taggedKeysOf(host).key('reading_lock'),
};
