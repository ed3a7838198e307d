// nvidia-smi's CSV: `, `-separated cells, optional header with units, and bracketed markers for
// values the driver cannot give.

/** Markers nvidia-smi prints in place of a value: `[N/A]`, bare `N/A`, `[Not Supported]`, … */
const MARKER = /^(\[[^\]]*\]|N\/A)$/;
const UNIT_SUFFIX = /\s*(MiB|%|W|MHz|C)$/;

export function isMarker(cell: string): boolean {
  return MARKER.test(cell.trim());
}

/** A cell's text, or null for a marker. */
export function textCell(cell: string | undefined): string | null {
  if (cell === undefined) return null;
  const value = cell.trim();
  return value === '' || isMarker(value) ? null : value;
}

/** A cell's number with its unit stripped (`2575 MiB` → 2575), or null for a marker or junk. */
export function numberCell(cell: string | undefined): number | null {
  const text = textCell(cell);
  if (text === null) return null;
  const stripped = text.replace(UNIT_SUFFIX, '');
  if (!/^-?\d+(\.\d+)?$/.test(stripped)) return null;
  return Number(stripped);
}

/** `memory.used [MiB]` → `memory.used`; then the query's own aliases. */
function normalizeHeader(cell: string, aliases: Readonly<Record<string, string>>): string {
  const name = cell
    .trim()
    .replace(/\s*\[[^\]]*\]$/, '')
    .toLowerCase();
  return aliases[name] ?? name;
}

export interface CsvTable {
  /** Column name → cells, one record per data row. */
  rows: Array<Record<string, string | undefined>>;
  /** Lines that had fewer cells than columns. */
  malformed: string[];
}

/**
 * Splits nvidia-smi CSV into records keyed by the queried field names. With a header, columns are
 * found by name (so `used_gpu_memory [MiB]` answers `used_memory`); without, by the query's order.
 * Extra cells (a literal `, ` inside a process name on old drivers) are joined back into `freeText`.
 */
export function parseCsv(
  text: string,
  fields: readonly string[],
  options: { aliases?: Readonly<Record<string, string>>; freeText?: string } = {},
): CsvTable {
  const aliases = options.aliases ?? {};
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let columns = [...fields];
  if (lines.length > 0) {
    const header = lines[0]!.split(',').map((c) => normalizeHeader(c, aliases));
    if (header.some((h) => fields.includes(h)) && !header.some((h) => /^\d/.test(h))) {
      columns = header;
      lines.shift();
    }
  }
  const freeIndex = options.freeText ? columns.indexOf(options.freeText) : -1;
  const table: CsvTable = { rows: [], malformed: [] };
  for (const line of lines) {
    let cells = line.split(', ');
    if (cells.length < columns.length) {
      table.malformed.push(line);
      continue;
    }
    if (cells.length > columns.length && freeIndex >= 0) {
      const extra = cells.length - columns.length;
      const joined = cells.slice(freeIndex, freeIndex + extra + 1).join(', ');
      cells = [...cells.slice(0, freeIndex), joined, ...cells.slice(freeIndex + extra + 1)];
    }
    table.rows.push(Object.fromEntries(columns.map((c, i) => [c, cells[i]])));
  }
  return table;
}
