// Picks the storage backend from a store URL: `sqlite:/abs/path.db` or a bare path.
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export { DEFAULT_STORE } from './defaults.js';

export type StoreSpec = { kind: 'sqlite'; path: string };

export function parseStoreUrl(url: string): StoreSpec {
  const text = url.trim();
  if (text === '') throw new UsageError('--store must not be empty');
  if (/^sqlite:/i.test(text)) {
    const path = text.replace(/^sqlite:(\/\/(?=\/))?/i, '');
    if (path === '') throw new UsageError(`invalid store URL '${url}': expected sqlite:/absolute/path.db`);
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new UsageError(`unsupported store '${url}': use sqlite:/path/to/state.db or a file path`);
  }
  return { kind: 'sqlite', path: isAbsolute(text) ? text : resolve(text) };
}

/** Opens the store; `create` (for admin) sets it up when missing. */
export async function openStore(url: string, options: { create?: boolean } = {}): Promise<Store> {
  const spec = parseStoreUrl(url);
  return options.create ? SqliteStore.create(spec.path) : SqliteStore.open(spec.path);
}
