// Durations as people type them (`30m`, `0.5h`, `1h30m`) and as the original manual prints them (`4h 0m 0s`).

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };
const COMPONENT = /(\d+(?:\.\d+)?|\.\d+)([dhms])/gy;
/** Ten years: anything longer is a typo, and would overflow date arithmetic in other tools. */
const MAX_DURATION_SECONDS = 10 * 365 * 86_400;

export const INVALID_DURATION_MESSAGE = 'Invalid duration format. Use formats like: 30m, 2h, 1d, 0.5h';

/** Parses `30m`, `2h`, `1d`, `0.5h`, `3.5d`, `45s`, `1h30m` into whole seconds; null when invalid. */
export function parseDuration(text: string): number | null {
  const input = text.trim().toLowerCase();
  if (input === '') return null;
  COMPONENT.lastIndex = 0;
  let seconds = 0;
  let consumed = 0;
  for (let match = COMPONENT.exec(input); match; match = COMPONENT.exec(input)) {
    seconds += Number(match[1]) * UNIT_SECONDS[match[2]!]!;
    consumed = COMPONENT.lastIndex;
  }
  if (consumed !== input.length) return null;
  const rounded = Math.round(seconds);
  if (!Number.isFinite(rounded) || rounded < 1 || rounded > MAX_DURATION_SECONDS) return null;
  return rounded;
}

/** `Xh Ym Zs` with unbounded hours, as every text of the original manual prints it. Negative spans (clock skew) show as zero. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  return `${hours}h ${minutes}m ${total % 60}s`;
}

/** The table's shorter form: leading zero units dropped (`45m 0s`, `5s`, `1h 30m 0s`). */
export function formatCompactDuration(seconds: number): string {
  const full = formatDuration(seconds);
  return full.replace(/^0h /, '').replace(/^0m (?=\d+s$)/, '');
}

/** `free for` in the table also drops trailing zero units, as the original manual prints it: `2h`, `1h 30m`, `45s`. */
export function formatTrimmedDuration(seconds: number): string {
  const parts = formatDuration(seconds).split(' ');
  const kept = parts.map((part) => !/^0[hms]$/.test(part));
  if (!kept.includes(true)) return '0s';
  return parts.slice(kept.indexOf(true), kept.lastIndexOf(true) + 1).join(' ');
}
