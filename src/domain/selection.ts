// The GPU proxy specification's five selection strategies: which matching instances one reservation request gets.
// Pure; the caller keeps SelectionState between requests.
import type { GpuInstance } from './instances.js';

export const STRATEGIES = [
  'round_robin',
  'equal_weighted',
  'weighted_round_robin',
  'least_connections',
  'least_response_time',
] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const DEFAULT_STRATEGY: Strategy = 'least_connections';

export function isStrategy(name: string): name is Strategy {
  return (STRATEGIES as readonly string[]).includes(name);
}

export interface SelectionState {
  /** round_robin: where the next request starts in the id-sorted list. */
  cursor: number;
  /** weighted_round_robin: smooth weighted round-robin's running weight per instance id. */
  currentWeights: Map<string, number>;
}

export interface LoadFacts {
  /** Active reservations per provider/host key (provider + location). */
  active: ReadonlyMap<string, number>;
  /** All reservations ever made per provider. */
  totalByProvider: ReadonlyMap<string, number>;
  /** Moving average of each provider's measured create latency, ms. */
  avgResponseMs: ReadonlyMap<string, number>;
}

export const newSelectionState = (): SelectionState => ({ cursor: 0, currentWeights: new Map() });
export const hostKey = (i: Pick<GpuInstance, 'provider' | 'location'>) => `${i.provider}/${i.location}`;

/** VRAM × GPUs per dollar; a free GPU counts as one cent an hour so it weighs most without dividing by 0. */
export function valueWeight(i: GpuInstance): number {
  return (Math.max(i.vramGb, 1) * Math.max(i.numGpus, 1)) / Math.max(i.pricePerHour, 0.01);
}

const byId = (a: GpuInstance, b: GpuInstance) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Up to `count` distinct instances, in the order the strategy prefers them. The rotations go through
 * instances by id; the others break ties in the order providers listed them (this host's pool lists
 * its least recently released GPUs first).
 */
export function selectInstances(
  strategy: Strategy,
  candidates: readonly GpuInstance[],
  count: number,
  state: SelectionState,
  load: LoadFacts,
): GpuInstance[] {
  const pool =
    strategy === 'round_robin' || strategy === 'weighted_round_robin' ? [...candidates].sort(byId) : [...candidates];
  const n = Math.min(count, pool.length);
  if (n === 0) return [];
  switch (strategy) {
    case 'round_robin': {
      const start = state.cursor % pool.length;
      state.cursor = (start + n) % pool.length;
      return Array.from({ length: n }, (_, k) => pool[(start + k) % pool.length]!);
    }
    case 'weighted_round_robin': {
      // Offers come and go: forget the weights of instances no longer offered.
      const offered = new Set(pool.map((i) => i.id));
      for (const id of state.currentWeights.keys()) if (!offered.has(id)) state.currentWeights.delete(id);
      const picked: GpuInstance[] = [];
      const left = new Set(pool);
      const total = pool.reduce((sum, i) => sum + valueWeight(i), 0);
      while (picked.length < n) {
        // Smooth weighted round-robin (nginx): raise every weight, take the highest, lower it by the total.
        let best: GpuInstance | null = null;
        for (const i of pool) {
          const w = (state.currentWeights.get(i.id) ?? 0) + valueWeight(i);
          state.currentWeights.set(i.id, w);
          if (left.has(i) && (!best || w > state.currentWeights.get(best.id)!)) best = i;
        }
        state.currentWeights.set(best!.id, state.currentWeights.get(best!.id)! - total);
        left.delete(best!);
        picked.push(best!);
      }
      return picked;
    }
    case 'equal_weighted':
      return greedy(
        pool,
        n,
        (i, taken) =>
          (load.totalByProvider.get(i.provider) ?? 0) + taken.filter((t) => t.provider === i.provider).length,
      );
    case 'least_connections':
      return greedy(
        pool,
        n,
        (i, taken) => (load.active.get(hostKey(i)) ?? 0) + taken.filter((t) => hostKey(t) === hostKey(i)).length,
      );
    case 'least_response_time':
      return greedy(pool, n, (i) => load.avgResponseMs.get(i.provider) ?? 0);
  }
}

/** Repeatedly takes the untaken instance with the lowest score (ties in listed order), rescoring after each pick. */
function greedy(
  pool: GpuInstance[],
  n: number,
  score: (i: GpuInstance, taken: GpuInstance[]) => number,
): GpuInstance[] {
  const taken: GpuInstance[] = [];
  const left = [...pool];
  while (taken.length < n) {
    let bestIndex = 0;
    let bestScore = Infinity;
    left.forEach((i, k) => {
      const s = score(i, taken);
      if (s < bestScore) {
        bestScore = s;
        bestIndex = k;
      }
    });
    taken.push(left.splice(bestIndex, 1)[0]!);
  }
  return taken;
}
