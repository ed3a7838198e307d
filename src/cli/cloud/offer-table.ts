// How the `cloud` commands print instances and money: a borderless table, cheapest first.

// The server's JSON of an instance (a type only: nothing of the server is loaded).
import type { InstanceJson } from '../../server/http/json.js';

export type { InstanceJson };
export { connectHint } from '../../domain/connect-hint.js';

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
