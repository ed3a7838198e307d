// What the strategies weigh and remember: the strategy (in the settings), the rotation state, each
// provider's latency, reservations ever made, and the picks of requests still creating theirs.
import type { GpuInstance } from '../../domain/instances.js';
import {
  DEFAULT_STRATEGY,
  hostKey,
  isStrategy,
  newSelectionState,
  selectInstances,
  STRATEGIES,
  type Strategy,
} from '../../domain/selection.js';
import { ApiError } from '../errors.js';
import type { ReservationRecords, ServerReservation, SettingRecords } from '../records/ports.js';

export interface LoadInfo {
  instanceId: string;
  provider: string;
  connections: number;
  avgResponseTimeMs: number;
  loadScore: number;
}

/** Exponential moving average weight of the newest latency sample. */
const EWMA_ALPHA = 0.3;

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}

/** Instances chosen by requests in flight, counted per host and per provider. */
class PendingPicks {
  readonly byHost = new Map<string, number>();
  readonly byProvider = new Map<string, number>();

  add(picks: GpuInstance[], by = 1): void {
    for (const i of picks) {
      bump(this.byHost, hostKey(i), by);
      bump(this.byProvider, i.provider, by);
    }
  }

  remove(picks: GpuInstance[]): void {
    this.add(picks, -1);
  }
}

export class LoadBalancing {
  private readonly selection = newSelectionState();
  private readonly latency = new Map<string, number>();
  /** Reservations ever made per provider: read once, then counted here (equal_weighted needs it each time). */
  private totals: Map<string, number> | null = null;
  private readonly pending = new PendingPicks();

  constructor(private readonly records: ReservationRecords & SettingRecords) {}

  get strategy(): Strategy {
    const saved = this.records.setting('strategy');
    return saved && isStrategy(saved) ? saved : DEFAULT_STRATEGY;
  }

  async setStrategy(name: string): Promise<Strategy> {
    if (!isStrategy(name)) {
      throw new ApiError('INVALID_ARGUMENT', `unknown strategy '${name}': use one of ${STRATEGIES.join(', ')}`);
    }
    await this.records.setSetting('strategy', name);
    return name;
  }

  /**
   * Picks `count` of `candidates` by the strategy. Until `settle` is called with them, the picks count
   * as the reservations they will be, so requests side by side spread out. Synchronous on purpose.
   */
  choose(candidates: GpuInstance[], count: number): GpuInstance[] {
    const chosen = selectInstances(this.strategy, candidates, count, this.selection, this.facts());
    this.pending.add(chosen);
    return chosen;
  }

  /** The picks of `choose` are recorded (counted by `recorded`) or given up. */
  settle(chosen: GpuInstance[]): void {
    this.pending.remove(chosen);
  }

  /** Counts reservations just recorded, without reading them all again. */
  recorded(instances: GpuInstance[]): void {
    const totals = this.totalsByProvider();
    for (const i of instances) bump(totals, i.provider, 1);
  }

  recordLatency(provider: string, ms: number): void {
    const previous = this.latency.get(provider);
    this.latency.set(provider, previous === undefined ? ms : previous + EWMA_ALPHA * (ms - previous));
  }

  private totalsByProvider(): Map<string, number> {
    this.totals ??= this.records.countByProvider();
    return this.totals;
  }

  /** What the strategies weigh: recorded reservations plus the picks of requests still creating theirs. */
  private facts() {
    const active = new Map(this.records.activeCountsByHost().map((a) => [hostKey(a), a.n]));
    const totalByProvider = new Map(this.totalsByProvider());
    for (const [host, n] of this.pending.byHost) bump(active, host, n);
    for (const [provider, n] of this.pending.byProvider) bump(totalByProvider, provider, n);
    return { active, totalByProvider, avgResponseMs: this.latency };
  }

  /** Per provider/host and per provider (each of `providers`): active reservations, latency and a score. */
  loads(active: ServerReservation[], providers: string[]): { server: LoadInfo[]; provider: LoadInfo[] } {
    const tally = (key: (r: ServerReservation) => string) => {
      const m = new Map<string, { provider: string; n: number }>();
      for (const r of active) {
        const k = key(r);
        m.set(k, { provider: r.provider, n: (m.get(k)?.n ?? 0) + 1 });
      }
      return m;
    };
    const info = (instanceId: string, provider: string, n: number): LoadInfo => {
      const ms = Math.round((this.latency.get(provider) ?? 0) * 1000) / 1000;
      const loadScore = Math.round((n + ms / 100) * 1000) / 1000;
      return { instanceId, provider, connections: n, avgResponseTimeMs: ms, loadScore };
    };
    const hosts = tally((r) => hostKey(r.instance));
    const byProvider = tally((r) => r.provider);
    for (const name of providers) if (!byProvider.has(name)) byProvider.set(name, { provider: name, n: 0 });
    return {
      server: [...hosts].map(([k, v]) => info(k, v.provider, v.n)),
      provider: [...byProvider].map(([k, v]) => info(k, v.provider, v.n)),
    };
  }
}
