// Parsers for the two nvidia-smi queries canhazgpu runs, and for its failure texts.
import { numberCell, parseCsv, textCell } from './csv.js';

export const GPU_FIELDS = ['index', 'uuid', 'name', 'memory.used', 'memory.total'] as const;
export const APP_FIELDS = ['gpu_uuid', 'pid', 'process_name', 'used_memory'] as const;

export const GPU_QUERY_ARGS = [`--query-gpu=${GPU_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
export const APP_QUERY_ARGS = [`--query-compute-apps=${APP_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

// Header names that differ from the query: `used_memory` prints as `used_gpu_memory [MiB]`.
const GPU_ALIASES = { gpu_uuid: 'uuid', gpu_name: 'name' };
const APP_ALIASES = { used_gpu_memory: 'used_memory' };

export interface GpuRow {
  index: number;
  uuid: string | null;
  name: string | null;
  memoryUsedMb: number | null;
  memoryTotalMb: number | null;
}

export interface AppRow {
  gpuUuid: string | null;
  pid: number | null;
  /** As printed: a path, `[Not Found]` (another container's process) becomes null. */
  processName: string | null;
  usedMemoryMb: number | null;
}

/** Thrown for output that is not the query's CSV: a driver failure text, an unknown field, junk. */
export class NvidiaSmiOutputError extends Error {}

/** `fields`: the query's field order, for output without a header (ours is GPU_FIELDS). */
export function parseGpuRows(text: string, fields: readonly string[] = GPU_FIELDS): GpuRow[] {
  const table = parseCsv(text, fields, { aliases: GPU_ALIASES });
  const rows: GpuRow[] = [];
  for (const r of table.rows) {
    const index = numberCell(r['index']);
    if (index === null || !Number.isInteger(index) || index < 0) {
      throw new NvidiaSmiOutputError(`unexpected nvidia-smi output: ${firstLine(Object.values(r).join(', '))}`);
    }
    rows.push({
      index,
      uuid: textCell(r['uuid']),
      name: textCell(r['name']),
      memoryUsedMb: numberCell(r['memory.used']),
      memoryTotalMb: numberCell(r['memory.total']),
    });
  }
  if (table.malformed.length > 0)
    throw new NvidiaSmiOutputError(`unexpected nvidia-smi output: ${firstLine(table.malformed[0]!)}`);
  return rows;
}

export function parseAppRows(text: string, fields: readonly string[] = APP_FIELDS): AppRow[] {
  const table = parseCsv(text, fields, { aliases: APP_ALIASES, freeText: 'process_name' });
  if (table.malformed.length > 0)
    throw new NvidiaSmiOutputError(`unexpected nvidia-smi output: ${firstLine(table.malformed[0]!)}`);
  return table.rows
    .map((r) => ({
      gpuUuid: textCell(r['gpu_uuid']),
      pid: numberCell(r['pid']),
      processName: textCell(r['process_name']),
      usedMemoryMb: numberCell(r['used_memory']),
    }))
    .filter((row) => row.pid !== null || row.usedMemoryMb !== null); // a row of markers only tells nothing
}

export function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .find((l) => l.trim() !== '')
      ?.trim() ?? ''
  );
}

/** `/usr/local/bin/python3.10` → `python3.10`; Windows paths too. */
export function executableName(processName: string): string {
  const base = processName.split(/[\\/]/).pop() ?? processName;
  return base === '' ? processName : base;
}
