// `canhazgpu queue [--json]`: who waits for GPUs, in order, since when, and when they may start.
import { formatCompactDuration } from '../../domain/duration.js';
import { describeWanted } from '../../domain/queue.js';
import { queueJson, readQueue, type WaiterView } from '../../pool/queue-view.js';
import { printable } from '../../server/log.js';
import type { Context } from '../context.js';
import { openPool } from '../pool.js';

export interface QueueOptions {
  json: boolean;
}

const HEADER = ['POS', 'USER', 'WANTS', 'TYPE', 'WAITING', 'ESTIMATED START', 'NOTE'];

function cells(w: WaiterView, now: number): string[] {
  const start =
    w.estimatedStart === null
      ? 'unknown'
      : w.estimatedStart <= now
        ? 'now'
        : `in ${formatCompactDuration((w.estimatedStart - now) / 1000)}`;
  return [
    String(w.position),
    // Names and notes come from any tool sharing the store: no escape sequence reaches the terminal.
    printable(w.actualUser === w.user ? w.user : `${w.user} (${w.actualUser})`),
    describeWanted(w),
    w.type,
    formatCompactDuration((now - w.waitingSince) / 1000),
    start,
    printable(w.note ?? ''),
  ];
}

export function renderQueue(waiters: WaiterView[], now: number): string {
  if (waiters.length === 0) return 'No requests waiting for GPUs\n';
  const rows = [HEADER, ...waiters.map((w) => cells(w, now))];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  for (const w of waiters) {
    for (const b of w.backfills) {
      lines.push(
        `Backfill: ${printable(b.user)} took GPU(s) [${b.gpus.join(', ')}] ahead of position ${w.position} (${printable(w.user)}), ending before it can start (in ${formatCompactDuration((b.until - now) / 1000)})`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function queueCommand(opts: QueueOptions, ctx: Context): Promise<number> {
  const pool = await openPool(ctx, {}, 'status');
  try {
    const view = await readQueue(pool);
    ctx.stdout.write(opts.json ? `${JSON.stringify(queueJson(view), null, 2)}\n` : renderQueue(view.waiters, view.now));
  } finally {
    await pool.store.close();
  }
  return 0;
}
