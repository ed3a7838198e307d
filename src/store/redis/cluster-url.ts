// `redis+cluster://[user:password@]host:port[,host:port...]`: a Redis Cluster, reached through any of these
// seed nodes (the client learns the others from them). A cluster has database 0 only.
import { decodeCredential, type NodeAddress, parseNodeList } from './node-list.js';

export interface ClusterTarget {
  nodes: NodeAddress[];
  username?: string;
  password?: string;
}

export const CLUSTER_URL_FORM = 'redis+cluster://[user:password@]host:port[,host:port...]';

/** The cluster URL's parts; null when the URL is not one, a string saying what is wrong when malformed. */
export function parseClusterUrl(url: string): ClusterTarget | null | string {
  const text = url.trim();
  if (!/^redis\+cluster:/i.test(text)) return null;
  const m = /^redis\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)(\/\d*)?$/i.exec(text);
  if (!m) return `expected ${CLUSTER_URL_FORM}`;
  if (m[4] !== undefined && !/^\/0?$/.test(m[4])) return 'a Redis Cluster has database 0 only';
  const nodes = parseNodeList(m[3]!, 6379);
  if (typeof nodes === 'string') return nodes;
  try {
    return { nodes, username: decodeCredential(m[1]), password: decodeCredential(m[2]) };
  } catch {
    return 'the user or password is not valid percent-encoding';
  }
}
