// What a store URL names: `sqlite:/abs/path.db` or a bare path (embedded), or a Redis. Apart from open.ts, which
// loads the stores, so that the status board's reader (cli/status-board-client.ts) parses URLs the same way.
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../domain/errors.js';
import { redactUrl } from './redact-url.js';
import { parseClusterUrl } from './redis/cluster-url.js';
import { parseSentinelUrl } from './redis/sentinel-url.js';

export type StoreSpec = { kind: 'sqlite'; path: string } | { kind: 'redis'; url: string };

/** `--store redis` alone: the Redis of the original manual. */
export const DEFAULT_REDIS_URL = 'redis://localhost:6379/0';

export function parseStoreUrl(url: string): StoreSpec {
  const text = url.trim();
  if (text === '') throw new UsageError('--store must not be empty');
  if (/^sqlite:/i.test(text)) {
    const path = text.replace(/^sqlite:(\/\/(?=\/))?/i, '');
    if (path === '') throw new UsageError(`invalid store URL '${redactUrl(url)}': expected sqlite:/absolute/path.db`);
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (text.toLowerCase() === 'redis') return { kind: 'redis', url: DEFAULT_REDIS_URL };
  if (/^rediss?:\/\//i.test(text)) return { kind: 'redis', url: checkRedisUrl(text, url) };
  const sentinel = parseSentinelUrl(text);
  if (typeof sentinel === 'string') throw new UsageError(`invalid store URL '${redactUrl(url)}': ${sentinel}`);
  if (sentinel) return { kind: 'redis', url: text };
  const cluster = parseClusterUrl(text);
  if (typeof cluster === 'string') throw new UsageError(`invalid store URL '${redactUrl(url)}': ${cluster}`);
  if (cluster) return { kind: 'redis', url: text };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new UsageError(
      `unsupported store '${redactUrl(url)}': use sqlite:/path/to/state.db, a file path, or redis://host:port/db`,
    );
  }
  return { kind: 'sqlite', path: isAbsolute(text) ? text : resolve(text) };
}

function checkRedisUrl(text: string, original: string): string {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new UsageError(`invalid store URL '${redactUrl(original)}': expected redis://[user:password@]host:port[/db]`);
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (!parsed.hostname || (db !== '' && !/^\d{1,5}$/.test(db))) {
    throw new UsageError(`invalid store URL '${redactUrl(original)}': expected redis://[user:password@]host:port[/db]`);
  }
  return text;
}

/** How a store names itself (`Store.location`): the SQLite file as `sqlite:/path`, a Redis URL without its password. */
export function locationOf(spec: StoreSpec): string {
  return spec.kind === 'sqlite' ? `sqlite:${spec.path}` : redactUrl(spec.url);
}
