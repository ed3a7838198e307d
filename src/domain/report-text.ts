// The report as `canhazgpu report` prints it: a table with a bar per user, JSON, or CSV.
import type { Report, UnusualEnd, UserUsage } from './report.js';

const BAR_WIDTH = 20;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** `share` of BAR_WIDTH cells: Unicode blocks to the eighth of a cell, or `#` where they may not show. */
export function shareBar(share: number, unicode: boolean): string {
  const cells = Math.max(0, Math.min(1, share)) * BAR_WIDTH;
  if (!unicode) return '#'.repeat(Math.round(cells));
  const eighths = Math.round(cells * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** Names come from a store others may write: no control characters reach the terminal. */
const printable = (text: string) => text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '?');

const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const hours = (h: number) => h.toFixed(2);
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const crashed = (u: UserUsage) => u.ended.crashed + u.ended.stale;

const COLUMNS = ['User', 'GPU-hours', 'Share', 'Runs', 'Manual', 'Expired', 'Crashed', 'Forced'] as const;

export function reportText(report: Report, unicode: boolean): string {
  return reservedText(report, unicode) + unreservedText(report);
}

/** Printed only when the agent saw GPUs used without a reservation in the window. */
function unreservedText(report: Report): string {
  if (report.unreserved.length === 0) return '';
  const rows = report.unreserved.map((u) => [printable(u.user), hours(u.gpuHours)]);
  const total = ['Total', hours(report.totalUnreservedGpuHours)];
  const widths = [0, 1].map((i) =>
    Math.max(['User', 'GPU-hours'][i]!.length, ...[...rows, total].map((r) => r[i]!.length)),
  );
  const line = (cells: readonly string[]) => `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]!.padStart(widths[1]!)}`;
  return [
    '',
    'GPU-hours used without a reservation',
    line(['User', 'GPU-hours']),
    ...rows.map(line),
    line(total),
    '',
  ].join('\n');
}

function reservedText(report: Report, unicode: boolean): string {
  const head = `GPU usage from ${minute(report.from)} to ${minute(report.to)} UTC (${report.days} days)\n`;
  if (report.users.length === 0) return `${head}\nNo GPU reservations in this period\n`;
  const row = (u: UserUsage) => [
    printable(u.user),
    hours(u.gpuHours),
    percent(u.share),
    String(u.runs),
    String(u.manual),
    String(u.ended.expired),
    String(crashed(u)),
    String(u.ended.forced),
  ];
  const sum = (f: (u: UserUsage) => number) => String(report.users.reduce((s, u) => s + f(u), 0));
  const total = [
    'Total',
    hours(report.totalGpuHours),
    percent(1),
    sum((u) => u.runs),
    sum((u) => u.manual),
    sum((u) => u.ended.expired),
    sum(crashed),
    sum((u) => u.ended.forced),
  ];
  const rows = report.users.map(row);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...[...rows, total].map((r) => r[i]!.length)));
  const line = (cells: readonly string[], bar = '') =>
    `${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}  ${bar}`.trimEnd();
  return [
    head,
    line(COLUMNS),
    ...rows.map((r, i) => line(r, shareBar(report.users[i]!.share, unicode))),
    line(total),
    '',
  ].join('\n');
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** `report --json` and `GET /api/v1/report`. */
export function reportJson(report: Report) {
  return {
    from: new Date(report.from).toISOString(),
    to: new Date(report.to).toISOString(),
    days: report.days,
    total_gpu_hours: round(report.totalGpuHours, 4),
    users: report.users.map((u) => ({
      user: u.user,
      gpu_hours: round(u.gpuHours, 4),
      share: round(u.share, 4),
      runs: u.runs,
      manual: u.manual,
      in_progress: u.inProgress,
      ended: { ...u.ended },
    })),
    total_unreserved_gpu_hours: round(report.totalUnreservedGpuHours, 4),
    unreserved: report.unreserved.map((u) => ({ user: u.user, gpu_hours: round(u.gpuHours, 4) })),
  };
}

const ENDS: readonly UnusualEnd[] = ['expired', 'stale', 'crashed', 'forced', 'timed_out'];

/** A CSV field: quoted when it must be, and never a formula a spreadsheet would run. */
function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(report: Report): string {
  const header = ['user', 'gpu_hours', 'share', 'runs', 'manual', 'in_progress', ...ENDS, 'unreserved_gpu_hours'];
  const unreserved = new Map(report.unreserved.map((u) => [u.user, u.gpuHours]));
  const reserved = new Set(report.users.map((u) => u.user));
  // Users seen only without a reservation get a row of their own, after the others.
  const unreservedOnly = report.unreserved
    .filter((u) => !reserved.has(u.user))
    .map((u) => [csvField(u.user), 0, 0, 0, 0, 0, ...ENDS.map(() => 0), round(u.gpuHours, 4)].join(','));
  const rows = report.users.map((u) =>
    [
      csvField(u.user),
      round(u.gpuHours, 4),
      round(u.share, 4),
      u.runs,
      u.manual,
      u.inProgress,
      ...ENDS.map((e) => u.ended[e]),
      round(unreserved.get(u.user) ?? 0, 4),
    ].join(','),
  );
  return `${[header.join(','), ...rows, ...unreservedOnly].join('\n')}\n`;
}
