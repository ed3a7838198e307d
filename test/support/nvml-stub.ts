// Builds the stub libnvidia-ml.so.1 (test/fixtures/nvml-stub/) with gcc into a temp folder, and writes
// the machine it serves, from the fake provider's state so both probes can read the same machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeUuid, type FakeState } from '../../src/probe/fake/state.js';
import { ROOT } from '../../support/sandbox.js';

const SOURCE = join(ROOT, 'test/fixtures/nvml-stub/nvml-stub.c');
const MIB = 1048576;

/** Why the stub cannot be built here, or null when gcc is present. */
export function stubUnavailable(): string | null {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'gcc not found: the NVML tests build a stub libnvidia-ml.so.1 (npm test installs build-essential)';
  }
}

/** Compiles the stub; `defines` leave symbols out (STUB_NO_V3, STUB_NO_V2, STUB_NO_MEMORY_V2). */
export function buildStub(dir: string, defines: string[] = []): string {
  const out = join(dir, defines.join('-') || 'full');
  mkdirSync(out, { recursive: true });
  const path = join(out, 'libnvidia-ml.so.1');
  execFileSync('gcc', ['-shared', '-fPIC', '-O1', ...defines.map((d) => `-D${d}`), '-o', path, SOURCE]);
  return path;
}

export function stubDir(): string {
  return mkdtempSync(join(tmpdir(), 'canhazgpu-nvml-'));
}

/** The stub's machine file for a fake state, as nvidia-smi would show it (see src/probe/fake/render.ts). */
export function stubMachine(state: FakeState, reservedMib = 512): string {
  const lines: string[] = [];
  state.gpus.forEach((g, i) => {
    const procs = g.processes ?? [];
    const mem = (p: { used_memory_mib?: number | null }) => (p.used_memory_mib === undefined ? 256 : p.used_memory_mib);
    const used = g.memory_used_mib ?? procs.reduce((sum, p) => sum + (mem(p) ?? 0), 0);
    const total = g.memory_total_mib ?? 81559;
    const name = g.name ?? 'NVIDIA H100 80GB HBM3';
    lines.push(`gpu ${g.uuid ?? fakeUuid(i)} ${total * MIB} ${reservedMib * MIB} ${used * MIB} ${name}`);
    for (const p of procs) {
      const bytes = mem(p);
      lines.push(`proc ${p.pid} ${bytes === null ? 'na' : bytes * MIB} ${p.hidden ? '-' : (p.name ?? 'python3')}`);
    }
  });
  return `${lines.join('\n')}\n`;
}
