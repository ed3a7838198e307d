// How the `cloud` commands print instances and money: a borderless table, cheapest first.

// The server's JSON of an instance (a type only: nothing of the server is loaded).
import type { InstanceJson } from '../../server/http/json.js';

export type { InstanceJson };

export const usd = (x: number) => `$${x.toFixed(x < 1 ? 3 : 2)}`;

/** Columns padded to their widest cell, separated by two spaces. */
export function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, n) => Math.max(...rows.map((r) => r[n]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, n) => cell.padEnd(widths[n]!))
      .join('  ')
      .trimEnd();
  return `${rows.map(line).join('\n')}\n`;
}

export function offerTable(instances: InstanceJson[]): string {
  const sorted = [...instances].sort((a, b) => a.price_per_hour - b.price_per_hour);
  const rows = sorted.map((i) => [
    i.provider,
    i.id,
    i.gpu_model,
    String(i.num_gpus),
    `${i.vram_gb} GB`,
    i.location || '-',
    usd(i.price_per_hour),
    usd(i.price_per_hour / Math.max(1, i.num_gpus)),
  ]);
  return columns([['PROVIDER', 'OFFER', 'GPU', 'GPUS', 'VRAM/GPU', 'LOCATION', '$/H', '$/GPU-H'], ...rows]);
}

/** What a user needs to connect, from an instance's metadata (vast ssh_host/ssh_port, io.net addresses). */
export function connectHint(i: Pick<InstanceJson, 'provider' | 'metadata'>): string {
  const m = i.metadata;
  // io.net's own SSH line for a running VM (src/providers/ionet/vms.ts), as its console shows it.
  if (m['ssh_access']) return m['ssh_access'];
  if (m['ssh_host']) return `ssh -p ${m['ssh_port'] ?? '22'} root@${m['ssh_host']}`;
  const port = m['public_port'] && m['public_port'] !== '22' ? `-p ${m['public_port']} ` : '';
  if (m['ip_address'] || m['public_ip']) return `ssh ${port}${m['ip_address'] ?? m['public_ip']}`;
  return i.provider === 'local' ? 'this host' : '-';
}
