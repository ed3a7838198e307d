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
    nodes.push({ host: hp[1]!.replace(/^\[|\]$/g, ''), port: Number(hp[2] ?? defaultPort) });
  }
  return nodes;
}

/** A user or password as the URL spells it; absent when empty. */
export const decodeCredential = (v: string | undefined): string | undefined =>
  v === undefined || v === '' ? undefined : decodeURIComponent(v);
