// `canhazgpu report [--days N] [--json | --csv]`: GPU-hours per user, from the history and the pool.
import { UsageError } from '../../domain/errors.js';
import { parseReportDays } from '../../domain/report.js';
import { reportCsv, reportJson, reportText } from '../../domain/report-text.js';
import type { Context } from '../context.js';
import { openPool } from '../pool.js';

export interface ReportOptions {
  days?: string;
  json: boolean;
  csv: boolean;
}

export async function reportCommand(opts: ReportOptions, ctx: Context): Promise<number> {
  if (opts.json && opts.csv) throw new UsageError('--json and --csv cannot be used together');
  const days = parseReportDays(opts.days);
  if (typeof days === 'string') throw new UsageError(days);
  const pool = await openPool(ctx, {}, 'status');
  try {
    const report = await pool.report(days);
    if (opts.json) ctx.stdout.write(`${JSON.stringify(reportJson(report), null, 2)}\n`);
    else if (opts.csv) ctx.stdout.write(reportCsv(report));
    else ctx.stdout.write(reportText(report, ctx.stdout.isTTY === true && !ctx.env['NO_COLOR']));
  } finally {
    await pool.store.close();
  }
  return 0;
}
