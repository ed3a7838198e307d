// `canhazgpu status --all | --host H`: the GPUs of every host of the fleet (or the named ones), grouped
// by host, each with the age of its GPU reading; a free GPU of a host nothing reads shows as STALE.
import { hostHeading, staleGpuLine } from '../../domain/fleet.js';
import type { StatusRow } from '../../domain/status.js';
import { statusJson, statusLine, tableCells } from '../../domain/status-text.js';
import type { HostStatus } from '../../pool/fleet-service.js';
import type { Context } from '../context.js';
import { openFleet } from '../fleet.js';

export interface FleetStatusOptions {
  table: boolean;
  json: boolean;
  /** Only these hosts; every host when absent. */
  hosts?: string[];
}

const staleFree = (h: HostStatus, row: StatusRow) => h.stale && row.state === 'available';
const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

function hostJson(h: HostStatus) {
  return {
    host: h.host,
    this_host: h.thisHost,
    reading_taken_at: seconds(h.readingTakenAt),
    reading_age_seconds: h.readingTakenAt === null ? null : Math.max(0, seconds(h.now - h.readingTakenAt)!),
    stale: h.stale,
    last_seen: seconds(h.record?.lastSeen ?? null),
    version: h.record?.version ?? null,
    gpus: h.rows?.map((r) => ({ ...statusJson(r, h.now), ...(staleFree(h, r) ? { status: 'stale' } : {}) })) ?? null,
  };
}

function heading(h: HostStatus): string {
  const text = hostHeading(h.host, h.rows?.length ?? null, h.readingTakenAt, h.now);
  return h.thisHost ? text.replace(/ ==$/, ' (this host) ==') : text;
}

export async function fleetStatusCommand(
  opts: FleetStatusOptions,
  ctx: Context,
  renderTable: (rows: string[][]) => Promise<string>,
): Promise<number> {
  const { fleet, close } = await openFleet(ctx, 'status');
  try {
    const hosts = await fleet.status(opts.hosts);
    const threshold = ctx.config.inUseThresholdMb;
    if (opts.json) {
      ctx.stdout.write(`${JSON.stringify(hosts.map(hostJson), null, 2)}\n`);
      return 0;
    }
    const blocks: string[] = [];
    for (const h of hosts) {
      const rows = h.rows ?? [];
      let body: string;
      if (opts.table) {
        body = rows.length === 0 ? '' : await renderTable(rows.map((r) => staleCells(h, r, threshold)));
      } else {
        body = rows
          .map((r) => `${staleFree(h, r) ? staleGpuLine(r.gpuId) : statusLine(r, h.now, threshold)}\n`)
          .join('');
      }
      blocks.push(`${heading(h)}\n${body}`);
    }
    ctx.stdout.write(blocks.join('\n'));
  } finally {
    await close();
  }
  return 0;
}

function staleCells(h: HostStatus, row: StatusRow, threshold: number): string[] {
  const cells = tableCells(row, h.now, threshold);
  if (staleFree(h, row)) cells[1] = 'stale';
  return cells;
}
