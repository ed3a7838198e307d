// Joins the GPU rows and the process rows of the driver into the domain's GpuUsage: names the driver
// hides come from /proc, owners and models always do (the nvidia-smi and the NVML probes alike).
import type { GpuUsage } from '../../domain/usage.js';
import type { ProcessInfoSource } from '../process-info.js';
import { executableName, type AppRow, type GpuRow } from './parse.js';

/** A GPU with the processes the driver lists on it. */
export interface ListedGpu {
  gpu: GpuRow;
  apps: AppRow[];
}

export async function usageOfListing(listed: ListedGpu[], info: ProcessInfoSource): Promise<GpuUsage[]> {
  const pids = listed.flatMap((l) => l.apps).flatMap((a) => (a.pid === null ? [] : [a.pid]));
  const facts = await info.describe(pids);
  return listed.map(({ gpu, apps }) => ({
    ...gpu,
    processes: apps.map((app) => {
      const fact = app.pid === null ? undefined : facts.get(app.pid);
      return {
        pid: app.pid,
        name: app.processName !== null ? executableName(app.processName) : (fact?.comm ?? null),
        usedMemoryMb: app.usedMemoryMb,
        user: fact?.user ?? null,
        model: fact?.model ?? null,
      };
    }),
  }));
}

/** nvidia-smi lists processes apart from GPUs: each finds its GPU by uuid. */
export function buildUsage(gpus: GpuRow[], apps: AppRow[], info: ProcessInfoSource): Promise<GpuUsage[]> {
  const listed: ListedGpu[] = gpus.map((gpu) => ({ gpu, apps: [] }));
  const byUuid = new Map(listed.map((l) => [l.gpu.uuid, l]));
  for (const app of apps) {
    // MIG processes report the parent GPU's uuid; a query without uuids fits only a single GPU.
    const gpu = app.gpuUuid !== null ? byUuid.get(app.gpuUuid) : listed.length === 1 ? listed[0] : undefined;
    gpu?.apps.push(app);
  }
  return usageOfListing(listed, info);
}
