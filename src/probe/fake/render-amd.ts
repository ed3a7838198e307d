// Prints what amd-smi would print for a fake machine, in the JSON shapes of test/fixtures/amd-smi/
// (ROCm 6: a bare array; `"rocm": 7` in the state: under `gpu_data`).
import { fakeUuid, type FakeGpu, type FakeState } from './state.js';
import type { SmiOutput } from './render.js';

const MIB = 2 ** 20;
const megabytes = (value: number | null) => (value === null ? 'N/A' : { value, unit: 'MB' });

function usedMib(g: FakeGpu): number | null {
  if (g.memory_used_mib !== undefined) return g.memory_used_mib;
  return (g.processes ?? []).reduce((sum, p) => sum + (p.used_memory_mib ?? 256), 0);
}

function entry(g: FakeGpu, gpu: number, command: string): Record<string, unknown> {
  if (command === 'list')
    return { gpu, bdf: `0000:${(0x18 + gpu * 8).toString(16)}:00.0`, uuid: g.uuid ?? fakeUuid(gpu) };
  if (command === 'metric') {
    const total = g.memory_total_mib ?? 196592;
    const used = usedMib(g);
    return {
      gpu,
      mem_usage: {
        total_vram: megabytes(total),
        used_vram: megabytes(used),
        free_vram: megabytes(used === null ? null : total - used),
      },
    };
  }
  const processes = (g.processes ?? []).map((p) => {
    const bytes = (p.used_memory_mib ?? 256) * MIB;
    return {
      process_info: {
        name: p.hidden ? 'N/A' : (p.name ?? 'python3'),
        pid: p.pid,
        memory_usage: {
          gtt_mem: { value: 0, unit: 'B' },
          cpu_mem: { value: 0, unit: 'B' },
          vram_mem: { value: bytes, unit: 'B' },
        },
        mem_usage: { value: bytes, unit: 'B' },
      },
    };
  });
  return {
    gpu,
    process_list: processes.length > 0 ? processes : [{ process_info: 'No running processes detected' }],
  };
}

export function renderAmdSmi(state: FakeState, args: readonly string[]): SmiOutput {
  const command = args[0] ?? '';
  if (!['list', 'metric', 'process'].includes(command) || !args.includes('--json'))
    return { stdout: `fake amd-smi: unsupported arguments ${args.join(' ')}\n`, exitCode: 2 };
  if (state.failure) return { stdout: 'AMD SMI initialization failed: no AMD GPU driver loaded\n', exitCode: 1 };
  const entries = state.gpus.map((g, gpu) => entry(g, gpu, command));
  const body = state.rocm === 7 ? { gpu_data: entries } : entries;
  return { stdout: `${JSON.stringify(body, null, 4)}\n`, exitCode: 0 };
}
