// `redis+sentinel://[user:password@]host:port[,host:port...]/master[/db]`: a Redis whose primary the
// Sentinels name, so a failover moves the store with it (the password is the primary's).

export interface SentinelTarget {
  sentinels: Array<{ host: string; port: number }>;
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
  const sentinels = [];
  for (const part of m[3]!.split(',')) {
    const hp = /^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(part);
    if (!hp) return `'${part}' is not host:port`;
    sentinels.push({ host: hp[1]!.replace(/^\[|\]$/g, ''), port: Number(hp[2] ?? 26379) });
  }
  const decode = (v: string | undefined) => (v === undefined || v === '' ? undefined : decodeURIComponent(v));
  return {
    sentinels,
    name: decodeURIComponent(m[4]!),
    db: Number(m[5] ?? 0),
    username: decode(m[1]),
    password: decode(m[2]),
  };
}
