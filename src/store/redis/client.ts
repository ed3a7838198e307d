// The Redis store's client: one server (directly or through Sentinels) or a Redis Cluster. Both take the
// same commands; what differs is here: a scan visits every master of a cluster, and each makes its own copy.
import { Cluster, type Redis, type RedisOptions } from 'ioredis';
import type { ClusterTarget } from './cluster-url.js';

export type RedisClient = Redis | Cluster;

/**
 * A cluster's client, as `settings` make one server's: lazy, failing at once while disconnected, and its
 * first connection must succeed (the caller sets a retry strategy for long-lived commands afterwards).
 */
export function clusterClient(target: ClusterTarget, settings: RedisOptions): Cluster {
  return new Cluster(target.nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: () => null,
    redisOptions: {
      connectTimeout: settings.connectTimeout,
      maxRetriesPerRequest: settings.maxRetriesPerRequest,
      username: target.username,
      password: target.password,
    },
  });
}

export const isCluster = (client: RedisClient): client is Cluster => client instanceof Cluster;

/** Every key matching `match`: on a cluster, from each master (SCAN sees one node's keys). */
export async function scanKeys(client: RedisClient, match: string): Promise<string[]> {
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    for await (const batch of node.scanStream({ match, count: 1000 })) keys.push(...(batch as string[]));
  }
  return keys;
}

/** A new connection like this one (a subscribed connection can do nothing else). */
export function duplicateOf(client: RedisClient): RedisClient {
  return isCluster(client) ? client.duplicate() : client.duplicate();
}
