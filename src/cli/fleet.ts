// The fleet sharing this host's Redis, for `status --all | --host H` and `reserve --host H | any`.
import { FLEET_STALE_AFTER_MS } from '../domain/fleet.js';
import { UsageError } from '../domain/errors.js';
import { isFleet } from '../domain/ports.js';
import { FleetService } from '../pool/fleet-service.js';
import { RemoteReadingProbe } from '../probe/remote-reading-probe.js';
import { parseStoreUrl } from '../store/store-url.js';
import type { Context } from './context.js';
import { poolOn, sharedProbe } from './pool.js';

/** The fleet on a freshly opened store; `close` closes that store. */
export async function openFleet(
  ctx: Context,
  purpose: 'allocate' | 'status',
): Promise<{ fleet: FleetService; close(): Promise<void> }> {
  const alone = (where: string) =>
    new UsageError(
      `--all and --host need a Redis store that several hosts share; the store at ${where} is this host's alone`,
    );
  const spec = parseStoreUrl(ctx.config.storeUrl);
  if (spec.kind === 'sqlite') throw alone(spec.path);
  const store = await ctx.openStore({ direct: true });
  if (!isFleet(store)) {
    await store.close();
    throw alone(store.location);
  }
  const poolOf = (host: string) => {
    const hostStore = store.poolOf(host);
    if (host === store.host) return poolOn(ctx, hostStore, sharedProbe(ctx, hostStore, purpose) ?? ctx.probe);
    // Another host's GPUs: its shared reading while recent; the fleet's status says when it is not.
    const probe = new RemoteReadingProbe(hostStore, host, ctx.clock, FLEET_STALE_AFTER_MS);
    return poolOn(ctx, hostStore, probe, purpose === 'allocate');
  };
  return { fleet: new FleetService({ fleet: store, clock: ctx.clock, poolOf }), close: () => store.close() };
}
