// The parts of a multi-node Redis URL (Sentinels, a cluster's seed nodes): `host:port,host:port`, and the
// user and password before '@', percent-decoded.

export interface NodeAddress {
  host: string;
  port: number;
}

/** `host[:port],…` (IPv6 in brackets); a string saying which part is wrong when one is malformed. */
export function parseNodeList(list: string, defaultPort: number): NodeAddress[] | string {
  const nodes: NodeAddress[] = [];
  for (const part of list.split(',')) {
    const hp = /^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(part);
    if (!hp) return `'${part}' is not host:port`;
    const port = Number(hp[2] ?? defaultPort);
    if (port < 1 || port > 65535) return `'${part}': a port is a number from 1 to 65535`;
    nodes.push({ host: hp[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

/** A user or password as the URL spells it; absent when empty. */
export const decodeCredential = (v: string | undefined): string | undefined =>
  v === undefined || v === '' ? undefined : decodeURIComponent(v);
