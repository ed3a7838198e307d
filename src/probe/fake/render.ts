// Prints what nvidia-smi would print for a fake machine, in the formats recorded on real ones:
// `, `-separated cells, headers with units, empty output for no processes with noheader.
import { fakeUuid, type FakeGpu, type FakeProcess, type FakeState } from './state.js';

export interface SmiOutput {
  stdout: string;
  exitCode: number;
  /** Never returns (the `hang` failure): the caller sleeps. */
  hang?: boolean;
}

// Texts and exit codes of real driver failures (see src/probe/nvidia/fixtures/public/error-*.txt).
const FAILURES: Record<string, SmiOutput> = {
  'no-driver': {
    stdout:
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n",
    exitCode: 9,
  },
  'no-devices': { stdout: 'No devices were found\n', exitCode: 6 },
  'version-mismatch': {
    stdout: 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 550.144\n',
    exitCode: 18,
  },
  hang: { stdout: '', exitCode: 0, hang: true },
};

interface Column<T> {
  header: string;
  unit?: string;
  value: (row: T) => string | number | null;
}

const NA = '[N/A]';

function processMemory(p: FakeProcess): number | null {
  return p.used_memory_mib === undefined ? 256 : p.used_memory_mib;
}

function gpuMemoryUsed(g: FakeGpu): number | null {
  if (g.memory_used_mib !== undefined) return g.memory_used_mib;
  return (g.processes ?? []).reduce((sum, p) => sum + (processMemory(p) ?? 0), 0);
}

type GpuRow = FakeGpu & { index: number };
type AppRow = FakeProcess & { gpu: GpuRow };

const GPU_COLUMNS: Record<string, Column<GpuRow>> = {
  index: { header: 'index', value: (g) => g.index },
  uuid: { header: 'uuid', value: (g) => g.uuid ?? fakeUuid(g.index) },
  gpu_uuid: { header: 'uuid', value: (g) => g.uuid ?? fakeUuid(g.index) },
  name: { header: 'name', value: (g) => g.name ?? 'NVIDIA H100 80GB HBM3' },
  gpu_name: { header: 'name', value: (g) => g.name ?? 'NVIDIA H100 80GB HBM3' },
  'memory.used': { header: 'memory.used', unit: 'MiB', value: gpuMemoryUsed },
  'memory.total': { header: 'memory.total', unit: 'MiB', value: (g) => g.memory_total_mib ?? 81559 },
  'memory.free': {
    header: 'memory.free',
    unit: 'MiB',
    value: (g) => {
      const used = gpuMemoryUsed(g);
      return used === null ? null : (g.memory_total_mib ?? 81559) - used;
    },
  },
  'pci.bus_id': {
    header: 'pci.bus_id',
    value: (g) => `00000000:${(0x18 + g.index * 8).toString(16).toUpperCase().padStart(2, '0')}:00.0`,
  },
};

const APP_COLUMNS: Record<string, Column<AppRow>> = {
  gpu_uuid: { header: 'gpu_uuid', value: (a) => a.gpu.uuid ?? fakeUuid(a.gpu.index) },
  gpu_name: { header: 'gpu_name', value: (a) => a.gpu.name ?? 'NVIDIA H100 80GB HBM3' },
  pid: { header: 'pid', value: (a) => a.pid },
  // Modern drivers print `?` for a comma inside a process name.
  process_name: {
    header: 'process_name',
    value: (a) => (a.hidden ? '[Not Found]' : (a.name ?? 'python3').replaceAll(',', '?')),
  },
  used_memory: { header: 'used_gpu_memory', unit: 'MiB', value: processMemory },
  used_gpu_memory: { header: 'used_gpu_memory', unit: 'MiB', value: processMemory },
};

function formatTable<T>(
  fields: string[],
  columns: Record<string, Column<T>>,
  rows: T[],
  header: boolean,
  units: boolean,
): SmiOutput {
  const unknown = fields.find((f) => !columns[f]);
  if (unknown !== undefined) return { stdout: `Field "${unknown}" is not a valid field to query.\n\n`, exitCode: 2 };
  const cols = fields.map((f) => columns[f]!);
  const lines: string[] = [];
  if (header) lines.push(cols.map((c) => (c.unit ? `${c.header} [${c.unit}]` : c.header)).join(', '));
  for (const row of rows) {
    lines.push(
      cols
        .map((c) => {
          const v = c.value(row);
          if (v === null) return NA;
          return units && c.unit ? `${v} ${c.unit}` : String(v);
        })
        .join(', '),
    );
  }
  return { stdout: lines.map((l) => `${l}\n`).join(''), exitCode: 0 };
}

/** The output of `nvidia-smi ARGS` on the fake machine. */
export function renderNvidiaSmi(state: FakeState, args: readonly string[]): SmiOutput {
  if (state.failure) return FAILURES[state.failure] ?? FAILURES['no-driver']!;
  const gpus: GpuRow[] = state.gpus.map((g, index) => ({ ...g, index }));
  const format =
    args
      .find((a) => a.startsWith('--format='))
      ?.slice('--format='.length)
      .split(',') ?? [];
  const header = !format.includes('noheader');
  const units = !format.includes('nounits');
  const gpuQuery = args.find((a) => a.startsWith('--query-gpu='));
  const appQuery = args.find((a) => a.startsWith('--query-compute-apps='));
  if (gpuQuery) return formatTable(gpuQuery.split('=')[1]!.split(','), GPU_COLUMNS, gpus, header, units);
  if (appQuery) {
    const apps = gpus.flatMap((gpu) => (gpu.processes ?? []).map((p) => ({ ...p, gpu })));
    return formatTable(appQuery.split('=')[1]!.split(','), APP_COLUMNS, apps, header, units);
  }
  if (args.includes('-L') || args.includes('--list-gpus')) {
    const lines = gpus.map(
      (g) => `GPU ${g.index}: ${GPU_COLUMNS['name']!.value(g)} (UUID: ${GPU_COLUMNS['uuid']!.value(g)})\n`,
    );
    return { stdout: lines.join(''), exitCode: 0 };
  }
  return { stdout: 'canhazgpu fake nvidia-smi: supports --query-gpu, --query-compute-apps and -L\n', exitCode: 0 };
}
