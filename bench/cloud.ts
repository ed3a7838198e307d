// The marketplaces' figures: a 16-instance reservation across the fake vast.ai and io.net with 200 ms
// per call (creations run side by side, 4 at once per marketplace), and a burst of 50 concurrent
// reservations against one listing per marketplace (listings are cached a few seconds and shared).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/domain/ports.js';
import { IonetProvider } from '../src/providers/ionet/ionet-provider.js';
import { VastAiProvider } from '../src/providers/vastai/vastai-provider.js';
import { SqliteRecords } from '../src/server/records/sqlite/sqlite-records.js';
import { GpuService } from '../src/server/service/gpu-service.js';
import { FakeIonet, IONET_BASE } from '../support/fake-ionet.js';
import { FakeVastAi } from '../support/fake-vastai.js';

const LATENCY_MS = 200;

export interface CloudFigures {
  /** Wall time of one 16-instance reservation, and how many it reserved. */
  reserveMs: number;
  reserved: number;
  /** The calls that reservation made, each LATENCY_MS: what one-at-a-time calls would take. */
  sequentialMs: number;
  /** Searches per marketplace during a burst of 50 concurrent reservations. */
  burstSearches: { vast: number; ionet: number };
  burstReserved: number;
  /** Why reservations of the burst failed, each reason once. */
  burstFailures: string[];
}

async function markets(offers: number) {
  const vast = await new FakeVastAi(['bench-vast']).start();
  const io = await new FakeIonet(['bench-io']).start();
  vast.offers = Array.from({ length: offers }, (_, n) => ({
    id: 9000 + n,
    gpu_name: 'RTX 4090',
    num_gpus: 1,
    gpu_ram: 24_564,
    dph_total: 0.4 + n / 100,
  }));
  // One io.net instance per hardware × location × GPUs per VM: as many hardware rows as offers.
  io.hardware = Array.from({ length: offers }, (_, n) => ({
    deploy_id: 100 + n,
    name: 'RTX 4090',
    num_cards: 1,
    price: 0.41 + n / 100,
    vram_per_card: 24,
    location: 'US',
    capacity: 1,
  }));
  vast.latencyMs = LATENCY_MS;
  io.latencyMs = LATENCY_MS;
  const providers = [
    new VastAiProvider({ keys: ['bench-vast'], clock: systemClock, baseUrl: vast.url }),
    new IonetProvider({ keys: ['bench-io'], clock: systemClock, baseUrl: `${io.url}${IONET_BASE}` }),
  ];
  return { vast, io, providers, stop: () => Promise.all([vast.stop(), io.stop()]) };
}

export async function cloudFigures(): Promise<CloudFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-bench-cloud-'));
  try {
    const records = SqliteRecords.open(join(dir, 'server.db'), { longLived: true });
    const user = await records.addUser('bench@example.com', 'bench', false, null, Date.now());
    const big = await markets(8);
    let started = performance.now();
    const outcome = await new GpuService(records, big.providers, systemClock).reserve(user, { count: 16, filters: {} });
    const reserveMs = performance.now() - started;
    const calls = big.vast.requests.length + big.io.requests.length;
    await big.stop();

    // Fresh records: a new fake hands out the first one's contract ids again.
    records.close();
    const burstRecords = SqliteRecords.open(join(dir, 'burst.db'), { longLived: true });
    const burstUser = await burstRecords.addUser('bench@example.com', 'bench', false, null, Date.now());
    const burst = await markets(40);
    const service = new GpuService(burstRecords, burst.providers, systemClock);
    started = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => service.reserve(burstUser, { count: 1, filters: {} })),
    );
    const burstSearches = { vast: burst.vast.calls(/bundles/).length, ionet: burst.io.calls(/hardware/).length };
    await burst.stop();
    burstRecords.close();
    return {
      reserveMs,
      reserved: outcome.reserved.length,
      sequentialMs: calls * LATENCY_MS,
      burstSearches,
      burstReserved: outcomes.filter((o) => o.status === 'fulfilled').length,
      burstFailures: [...new Set(outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : [])))],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const f = await cloudFigures();
  console.log(JSON.stringify(f, null, 2));
}
