// The providers the server reserves from, by name, and what they offer now (listed side by side).
import { matchesFilters, namedProvider, type GpuInstance, type InstanceFilters } from '../../domain/instances.js';
import type { Provider } from '../../providers/provider.js';
import { ApiError, firstLineOf } from '../errors.js';
import { MAX_GPUS_PER_INSTANCE } from '../request-limits.js';
import { withTimeout, type ProviderTimeouts } from './timeout.js';

export class ProviderSet {
  private readonly byName: Map<string, Provider>;

  constructor(
    providers: Provider[],
    private readonly timeouts: ProviderTimeouts,
  ) {
    this.byName = new Map(providers.map((p) => [p.name, p]));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  all(): Provider[] {
    return [...this.byName.values()];
  }

  get(name: string): Provider | undefined {
    return this.byName.get(name);
  }

  checkFilters(f: InstanceFilters): void {
    const named = namedProvider(f);
    if (named && !this.byName.has(named)) {
      const known = this.names().join(', ');
      throw new ApiError('INVALID_ARGUMENT', `unknown provider '${named}': use one of ${known} (or all)`);
    }
    for (const [name, value] of [
      ['min_vram', f.minVramGb],
      ['max_price', f.maxPricePerHour],
    ] as const) {
      if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
        throw new ApiError('INVALID_ARGUMENT', `${name} must be a number of at least 0`);
      }
    }
    const n = f.numGpus;
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > MAX_GPUS_PER_INSTANCE)) {
      throw new ApiError('INVALID_ARGUMENT', `num_gpus must be a whole number from 1 to ${MAX_GPUS_PER_INSTANCE}`);
    }
  }

  async listInstances(filters: InstanceFilters): Promise<GpuInstance[]> {
    return (await this.listWithAnswers(filters)).instances;
  }

  /**
   * Matching instances, and each provider's answer (`ok`, or why it failed). The filters go down to
   * each provider (a marketplace pushes what its search can evaluate exactly) and are checked again here.
   */
  async listWithAnswers(
    filters: InstanceFilters,
  ): Promise<{ instances: GpuInstance[]; answers: Record<string, string> }> {
    this.checkFilters(filters);
    const named = namedProvider(filters);
    const providers = named ? [this.byName.get(named)!] : this.all();
    const lists = await Promise.all(
      providers.map((p) =>
        withTimeout(p.available(filters), this.timeouts.listMs, `${p.name}'s listing`).then(
          (instances) => ({ instances, failure: null }),
          (err: unknown) => ({ instances: [] as GpuInstance[], failure: firstLineOf(err) }),
        ),
      ),
    );
    const failures = lists.flatMap((l, n) => (l.failure ? [`${providers[n]!.name}: ${l.failure}`] : []));
    // A provider that cannot list is an outage, not "no matching GPUs": say so when nothing else answered.
    if (failures.length === providers.length) {
      throw new ApiError('UNAVAILABLE', `cannot list GPU instances (${failures.join('; ')})`);
    }
    const answers = Object.fromEntries(lists.map((l, n) => [providers[n]!.name, l.failure ?? 'ok']));
    const instances = lists.flatMap((l) => l.instances).filter((i) => matchesFilters(i, filters));
    return { instances, answers };
  }
}
