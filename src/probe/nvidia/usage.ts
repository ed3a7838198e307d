// Joins the GPU rows and the process rows of nvidia-smi into the domain's GpuUsage.
import type { GpuUsage } from '../../domain/usage.js';
import type { ProcessInfoSource } from '../process-info.js';
import { executableName, type AppRow, type GpuRow } from './parse.js';

export async function buildUsage(gpus: GpuRow[], apps: AppRow[], info: ProcessInfoSource): Promise<GpuUsage[]> {
  const pids = apps.flatMap((a) => (a.pid === null ? [] : [a.pid]));
  const facts = await info.describe(pids);
  const usage: GpuUsage[] = gpus.map((g) => ({ ...g, processes: [] }));
  const byUuid = new Map(usage.map((g) => [g.uuid, g]));
  for (const app of apps) {
    // MIG processes report the parent GPU's uuid; a query without uuids fits only a single GPU.
    const gpu = app.gpuUuid !== null ? byUuid.get(app.gpuUuid) : usage.length === 1 ? usage[0] : undefined;
    if (!gpu) continue;
    const fact = app.pid === null ? undefined : facts.get(app.pid);
    const name = app.processName !== null ? executableName(app.processName) : (fact?.comm ?? null);
    gpu.processes.push({
      pid: app.pid,
      name,
      usedMemoryMb: app.usedMemoryMb,
      user: fact?.user ?? null,
      model: fact?.model ?? null,
    });
  }
  return usage;
}
