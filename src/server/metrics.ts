// /metrics in Prometheus text format: the pool's GPUs by state, reservations per user, and request
// counts and latencies per route and status code.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StatusRow } from '../domain/status.js';

export interface PoolFacts {
  rows: StatusRow[];
  reservationsByUser: Map<string, number>;
}

export class Metrics {
  private readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'code'>;
  private readonly latency: Histogram<'method' | 'route' | 'code'>;
  readonly contentType: string;

  constructor(readPool: () => Promise<PoolFacts>) {
    this.contentType = this.registry.contentType;
    let pool: Promise<PoolFacts> | null = null;
    // One pool read per scrape, shared by both gauges.
    const facts = () => (pool ??= readPool().finally(() => setTimeout(() => (pool = null), 0)));
    new Gauge({
      name: 'canhazgpu_gpus',
      help: 'GPUs in the pool by state',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const { rows } = await facts();
        const count = (state: StatusRow['state']) => rows.filter((r) => r.state === state).length;
        this.set({ state: 'total' }, rows.length);
        this.set({ state: 'free' }, count('available'));
        this.set({ state: 'reserved' }, count('reserved'));
        this.set({ state: 'unreserved_in_use' }, count('unreserved'));
        this.set({ state: 'unreadable' }, count('unreadable'));
      },
    });
    new Gauge({
      name: 'canhazgpu_reservations',
      help: 'GPUs reserved, per user',
      labelNames: ['user'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [user, n] of (await facts()).reservationsByUser) this.set({ user }, n);
      },
    });
    this.requests = new Counter({
      name: 'canhazgpu_http_requests_total',
      help: 'HTTP requests',
      labelNames: ['method', 'route', 'code'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'canhazgpu_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
  }

  observeRequest(method: string, route: string, code: number, seconds: number): void {
    const labels = { method, route, code: String(code) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
