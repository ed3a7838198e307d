// `redis+sentinel://[user:password@]host:port[,host:port...]/master[/db]`: a Redis whose primary the
// Sentinels name, so a failover moves the store with it (the password is the primary's).
import { decodeCredential, type NodeAddress, parseNodeList } from './node-list.js';

export interface SentinelTarget {
  sentinels: NodeAddress[];
  /** The name the Sentinels monitor the primary under. */
  name: string;
  db: number;
  username?: string;
  password?: string;
}

export const SENTINEL_URL_FORM = 'redis+sentinel://[user:password@]host:port[,host:port...]/master[/db]';

/** The Sentinel URL's parts; null when the URL is not one, a string saying what is wrong when malformed. */
export function parseSentinelUrl(url: string): SentinelTarget | null | string {
  const m = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)\/([^/]+)(?:\/(\d{1,5}))?\/?$/i.exec(url.trim());
  if (!/^redis\+sentinel:/i.test(url.trim())) return null;
  if (!m) return `expected ${SENTINEL_URL_FORM}`;
  const sentinels = parseNodeList(m[3]!, 26379);
  if (typeof sentinels === 'string') return sentinels;
  return {
    sentinels,
    name: decodeURIComponent(m[4]!),
    db: Number(m[5] ?? 0),
    username: decodeCredential(m[1]),
    password: decodeCredential(m[2]),
  };
}
