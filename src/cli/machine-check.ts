// admin's look at the machine: a pool larger than what nvidia-smi lists would name GPUs that do not
// exist, a smaller one leaves some unused. Neither is an error: the admin may know better, or the
// probe may be down (then nothing is said, as before).
import { probeOrNull } from '../domain/ports.js';
import { joinWithAnd } from '../domain/status-text.js';
import type { Context } from './context.js';

/** `GPU 4 is`, `GPUs 4 and 5 are`, `GPUs 4 to 7 are`, `GPUs 1, 3 and 6 are`. */
function gpuIds(ids: readonly number[]): string {
  if (ids.length === 1) return `GPU ${ids[0]} is`;
  const run = ids.length > 2 && ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1);
  return run ? `GPUs ${ids[0]} to ${ids[ids.length - 1]} are` : `GPUs ${joinWithAnd(ids.map(String))} are`;
}

/** Warns on stderr when the probe lists other GPUs than the pool's ids 0 to count-1. */
export async function warnIfPoolDiffersFromMachine(ctx: Context, count: number): Promise<void> {
  const usage = await probeOrNull(ctx.probe);
  if (usage === null) return;
  const listed = new Set(usage.map((g) => g.index));
  const missing = Array.from({ length: count }, (_, id) => id).filter((id) => !listed.has(id));
  const outside = [...listed].filter((id) => id >= count).sort((a, b) => a - b);
  if (missing.length === 0 && outside.length === 0) return;
  const tool = ctx.probe.toolName;
  const effects = [
    ...(missing.length > 0 ? [`${gpuIds(missing)} not found by ${tool} and never handed out`] : []),
    ...(outside.length > 0 ? [`${gpuIds(outside)} outside the pool and never handed out`] : []),
  ];
  ctx.stderr.write(`Warning: ${tool} lists ${listed.size} GPUs, but the pool has ${count}: ${effects.join('; ')}\n`);
}
