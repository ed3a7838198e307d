// The `fake` provider: renders the fake machine as nvidia-smi text and parses it with the real parser,
// so it differs from the nvidia probe only in where the text comes from.
import { ProbeUnavailableError, type GpuProbe } from '../../domain/ports.js';
import type { GpuUsage } from '../../domain/usage.js';
import { modelFromCommandLine } from '../../domain/model.js';
import { parseUsage } from '../nvidia/nvidia-probe.js';
import { APP_QUERY_ARGS, firstLine, GPU_QUERY_ARGS } from '../nvidia/parse.js';
import { hostProcessInfo, type ProcessInfoSource } from '../process-info.js';
import { FakeStateError, loadFakeState, type FakeState } from './state.js';
import { renderNvidiaSmi } from './render.js';

/** Owners and command lines named in the file win over /proc, so made-up pids show made-up users. */
function fakeProcessInfo(state: FakeState): ProcessInfoSource {
  const declared = new Map(state.gpus.flatMap((g) => g.processes ?? []).map((p) => [p.pid, p]));
  return {
    async describe(pids) {
      const facts = await hostProcessInfo.describe(pids);
      for (const pid of pids) {
        const p = declared.get(pid);
        const host = facts.get(pid);
        facts.set(pid, {
          user: p?.user ?? host?.user ?? null,
          comm: host?.comm ?? null,
          model: p?.cmdline ? modelFromCommandLine(p.cmdline) : (host?.model ?? null),
        });
      }
      return facts;
    },
  };
}

export class FakeProbe implements GpuProbe {
  readonly toolName = 'nvidia-smi';
  constructor(private readonly statePath: string | undefined) {}

  async probe(): Promise<GpuUsage[]> {
    let state: FakeState;
    try {
      state = loadFakeState(this.statePath);
    } catch (err) {
      if (err instanceof FakeStateError) throw new ProbeUnavailableError(err.message);
      throw err;
    }
    const gpus = renderNvidiaSmi(state, GPU_QUERY_ARGS);
    const apps = renderNvidiaSmi(state, APP_QUERY_ARGS);
    for (const out of [gpus, apps]) {
      if (out.hang) throw new ProbeUnavailableError('nvidia-smi timed out');
      if (out.exitCode !== 0) throw new ProbeUnavailableError(`nvidia-smi failed: ${firstLine(out.stdout)}`);
    }
    return parseUsage(gpus.stdout, apps.stdout, fakeProcessInfo(state));
  }
}
