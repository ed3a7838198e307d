// `canhazgpu status [--table | --json]`: every GPU, its holder, and what the hardware shows.
import { UsageError } from '../../domain/errors.js';
import { NOTE_HEADER, noteCell, statusText, TABLE_HEADER, tableCells } from '../../domain/status-text.js';
import type { Context } from '../context.js';
import { openPool } from '../pool.js';

export interface StatusOptions {
  table: boolean;
  json: boolean;
  /** The fleet sharing the store: every host (`--all`), or the ones named (`--host H`, repeatable). */
  all?: boolean;
  hosts?: string[];
}

/** The original manual's status table layout: a header, a row of dashes, columns separated by single spaces, no borders. */
async function renderTable(header: readonly string[], rows: string[][]): Promise<string> {
  // Loaded for --table alone: it and its dependencies would slow every other command's start.
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: [...header],
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: ' ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  table.push(
    widths.map((w) => '-'.repeat(w)),
    ...rows,
  );
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`;
}

export async function statusCommand(opts: StatusOptions, ctx: Context): Promise<number> {
  if (opts.table && opts.json) throw new UsageError('--table and --json cannot be used together');
  if (opts.all && opts.hosts?.length) throw new UsageError('--all and --host cannot be used together');
  if (opts.all || opts.hosts?.length) {
    const { fleetStatusCommand } = await import('./status-fleet.js');
    const table = (rows: string[][]) => renderTable(TABLE_HEADER, rows);
    return fleetStatusCommand({ ...opts, hosts: opts.all ? undefined : opts.hosts }, ctx, table);
  }
  const pool = await openPool(ctx, {}, 'status');
  try {
    const { now, rows } = await pool.status();
    const threshold = ctx.config.inUseThresholdMb;
    if (opts.table) {
      // A NOTE column only when some GPU has a note: without notes the table is the original manual's.
      const noted = rows.some((r) => noteCell(r) !== '-');
      const cells = rows.map((r) => [...tableCells(r, now, threshold), ...(noted ? [noteCell(r)] : [])]);
      ctx.stdout.write(await renderTable(noted ? [...TABLE_HEADER, NOTE_HEADER] : TABLE_HEADER, cells));
    } else {
      ctx.stdout.write(statusText(rows, now, threshold, opts.json));
    }
  } finally {
    await pool.store.close();
  }
  return 0;
}
