// Reads `amd-smi list|metric --mem-usage|process --json`: a bare array per GPU (ROCm 6) or the same array
// under `gpu_data` (ROCm 7, amd-smi 26 on), each figure `{"value": N, "unit": "MB"}` or "N/A".
// Recorded shapes and their sources: test/fixtures/amd-smi/SOURCE.md.
import type { AppRow, GpuRow } from '../nvidia/parse.js';
import type { ListedGpu } from '../nvidia/usage.js';

export class AmdSmiOutputError extends Error {}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The per-GPU entries of one `--json` answer. */
export function gpuEntries(text: string, what: string): Json[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const first = text.trim().split('\n')[0]?.slice(0, 80) ?? '';
    throw new AmdSmiOutputError(`unexpected amd-smi ${what} output: ${first || '(nothing)'}`);
  }
  const list = isObject(value) ? value['gpu_data'] : value;
  if (!Array.isArray(list)) throw new AmdSmiOutputError(`unexpected amd-smi ${what} output: no list of GPUs`);
  return list.filter(isObject);
}

// amd-smi's "MB" is bytes // 2^20, as nvidia-smi's MiB: both count in MiB.
const MIB_PER_UNIT: Record<string, number> = {
  B: 1 / 2 ** 20,
  KB: 1 / 1024,
  KIB: 1 / 1024,
  MB: 1,
  MIB: 1,
  GB: 1024,
  GIB: 1024,
  TB: 1024 ** 2,
  TIB: 1024 ** 2,
};

/** A memory figure in MiB, or null for "N/A" and anything unreadable. */
export function mib(value: unknown): number | null {
  let amount: unknown = value;
  let unit = 'MB';
  if (isObject(value)) {
    amount = value['value'];
    unit = typeof value['unit'] === 'string' ? value['unit'] : 'MB';
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)?\s*$/.exec(value);
    if (!m) return null;
    amount = Number(m[1]);
    unit = m[2] ?? 'MB';
  }
  const factor = MIB_PER_UNIT[unit.toUpperCase()];
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || factor === undefined) return null;
  return Math.round(amount * factor);
}

const gpuIndex = (e: Json): number | null => (Number.isInteger(e['gpu']) ? (e['gpu'] as number) : null);

/** `amd-smi list --json` and `amd-smi metric --mem-usage --json`, joined by GPU index. */
export function parseGpus(listText: string, metricText: string): GpuRow[] {
  const memory = new Map<number, Json>();
  for (const e of gpuEntries(metricText, 'metric')) {
    const index = gpuIndex(e);
    if (index !== null && isObject(e['mem_usage'])) memory.set(index, e['mem_usage']);
  }
  return gpuEntries(listText, 'list').flatMap((e) => {
    const index = gpuIndex(e);
    if (index === null) return [];
    const mem = memory.get(index);
    return [
      {
        index,
        uuid: typeof e['uuid'] === 'string' && e['uuid'] !== 'N/A' ? e['uuid'] : null,
        name: null,
        memoryUsedMb: mem ? mib(mem['used_vram']) : null,
        memoryTotalMb: mem ? mib(mem['total_vram']) : null,
      },
    ];
  });
}

/** `amd-smi process --json`: the processes of each GPU index ("No running processes detected" is none). */
export function parseProcesses(text: string): Map<number, AppRow[]> {
  const byGpu = new Map<number, AppRow[]>();
  for (const e of gpuEntries(text, 'process')) {
    const index = gpuIndex(e);
    const list = e['process_list'];
    if (index === null || !Array.isArray(list)) continue;
    const rows = list.flatMap((item): AppRow[] => {
      const info = isObject(item) ? item['process_info'] : null;
      if (!isObject(info)) return [];
      const pid = Number.isInteger(info['pid']) ? (info['pid'] as number) : null;
      // VRAM alone when amd-smi splits it (ROCm 6.2 on); `mem_usage` adds GTT and CPU memory.
      const split = isObject(info['memory_usage']) ? mib(info['memory_usage']['vram_mem']) : null;
      const name = typeof info['name'] === 'string' && info['name'] !== 'N/A' ? info['name'] : null;
      return [{ gpuUuid: null, pid, processName: name, usedMemoryMb: split ?? mib(info['mem_usage']) }];
    });
    byGpu.set(index, [...(byGpu.get(index) ?? []), ...rows]);
  }
  return byGpu;
}

export function listing(listText: string, metricText: string, processText: string): ListedGpu[] {
  const processes = parseProcesses(processText);
  return parseGpus(listText, metricText).map((gpu) => ({ gpu, apps: processes.get(gpu.index) ?? [] }));
}
