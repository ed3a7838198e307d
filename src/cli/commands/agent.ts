// `canhazgpu agent [--interval SECONDS]`: keeps this host's GPU reading fresh in the store, so the
// other commands probe nothing themselves (contrib/systemd/canhazgpu-agent.service runs it).
import { UsageError } from '../../domain/errors.js';
import { ReadingKeeper } from '../../pool/reading-keeper.js';
import type { Context } from '../context.js';
import { sharedProbe } from '../pool.js';

export async function agentCommand(opts: { interval: string }, ctx: Context): Promise<number> {
  const seconds = Number(opts.interval);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new UsageError(`--interval must be a number of seconds from 0.1 to 3600, got '${opts.interval}'`);
  }
  const store = await ctx.openStore({ reconnect: true });
  try {
    const probe = sharedProbe(ctx, store, 'agent');
    if (!probe) throw new UsageError(`the store at ${store.location} cannot keep GPU readings`);
    const stop = ctx.shutdownSignal();
    let failing = false;
    const keeper = new ReadingKeeper(probe, seconds * 1000, (err) => {
      if (!failing) ctx.stderr.write(`Warning: could not keep the GPU reading (${(err as Error).message}); retrying\n`);
      failing = true;
    });
    keeper.start();
    ctx.stdout.write(`canhazgpu agent: keeping the GPU reading of ${ctx.config.host} fresh every ${seconds}s\n`);
    const signal = await stop;
    await keeper.stop();
    ctx.stdout.write(`canhazgpu agent stopping (${signal})\n`);
    return 0;
  } finally {
    ctx.probe.close?.(); // NVML, kept initialised while the agent ran
    await store.close();
  }
}
