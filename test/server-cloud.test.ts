// vast.ai and io.net behind a real server, against their fakes on loopback: the GPU proxy
// specification's cloud request over HTTP, and instances a dead server never recorded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../src/domain/ports.js';
import { DEFAULT_CLOUD_MONEY } from '../src/server/service/gpu-service.js';
import { IonetProvider } from '../src/providers/ionet/ionet-provider.js';
import { VastAiProvider } from '../src/providers/vastai/vastai-provider.js';
import type { ServerReservation } from '../src/server/records/ports.js';
import { FakeIonet, IONET_BASE, type IonetHardware } from '../support/fake-ionet.js';
import { FakeVastAi, type VastOffer } from '../support/fake-vastai.js';
import { startTestServer } from './support/server.js';

const VAST_KEYS = ['vast-secret-dead', 'vast-secret-live'];
const IONET_KEY = 'ionet-secret-live';

const vastOffers = (): VastOffer[] => [
  { id: 201, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.4 },
  { id: 202, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.42 },
  { id: 203, gpu_name: 'RTX A5000', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.6 },
  { id: 207, gpu_name: 'RTX A5000', num_gpus: 2, gpu_ram: 24_564, dph_total: 0.5 }, // two GPUs: num_gpus is 1 unless asked
  { id: 204, gpu_name: 'A100 PCIE', num_gpus: 1, gpu_ram: 40_960, dph_total: 1.1 },
  { id: 205, gpu_name: 'H100 SXM', num_gpus: 1, gpu_ram: 81_559, dph_total: 2.4 }, // above max_price
  { id: 206, gpu_name: 'RTX 3060', num_gpus: 1, gpu_ram: 12_288, dph_total: 0.06 }, // below min_vram
];
const ionetHardware = (): IonetHardware[] => [
  { deploy_id: 7, name: 'A100 SXM', num_cards: 1, price: 1.5, vram_per_card: 80, location: 'US', capacity: 2 },
];

async function clouds() {
  const vast = await new FakeVastAi([VAST_KEYS[1]!]).start(); // the first key is dead
  const io = await new FakeIonet([IONET_KEY]).start();
  vast.offers = vastOffers();
  io.hardware = ionetHardware();
  const warnings: string[] = [];
  const providers = () => [
    new VastAiProvider({ keys: VAST_KEYS, clock: systemClock, baseUrl: vast.url, warn: (l) => warnings.push(l) }),
    new IonetProvider({ keys: [IONET_KEY], clock: systemClock, baseUrl: `${io.url}${IONET_BASE}` }),
  ];
  return { vast, io, warnings, providers, stop: () => Promise.all([vast.stop(), io.stop()]) };
}

const SPEC_REQUEST = { count: 4, filters: { provider: 'vast.ai', min_vram: 16, max_price: 2.0 } };

test(`the specification's ${JSON.stringify(SPEC_REQUEST)} reserves four vast.ai offers over HTTP`, async () => {
  const c = await clouds();
  const logLines: string[] = [];
  const s = await startTestServer({ providers: c.providers(), logLines });
  try {
    const { key } = await s.user('vera');
    const r = await s.api('/api/v1/gpu/instances/reserve', { method: 'POST', key, body: JSON.stringify(SPEC_REQUEST) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.reserved_count, 4);
    type Reserved = { id: string; provider: string; metadata: { contract_id: string } };
    const reserved = r.body.reserved_instances as Reserved[];
    assert.deepEqual(reserved.map((i) => i.id).sort(), ['201', '202', '203', '204']);
    assert.ok(reserved.every((i) => i.provider === 'vast.ai'));
    const contracts = reserved.map((i) => i.metadata.contract_id).sort();
    assert.deepEqual([...c.vast.instances.keys()].map(String).sort(), contracts);
    assert.ok([...c.vast.instances.values()].every((i) => i.label?.startsWith('canhazgpu:')));
    // One search for the listing, after the dead key was set aside (named by position only).
    assert.deepEqual(c.warnings, ['vast.ai: API key #1 was refused (401); trying the next key']);

    // Both markets are listed beside this host's pool; io.net prices the whole VM.
    const listed = await s.api('/api/v1/gpu/instances?provider=io.net', { key });
    assert.deepEqual(
      listed.body.instances.map((i: { id: string; price_per_hour: number }) => [i.id, i.price_per_hour]),
      [['7@USx1', 1.5]],
    );

    const contract = reserved[0]!.metadata.contract_id;
    const gone = await s.api(`/api/v1/gpu/instances/vast.ai/${contract}`, { method: 'DELETE', key });
    assert.equal(gone.status, 200, JSON.stringify(gone.body));
    assert.equal(c.vast.instances.has(Number(contract)), false);
    assert.equal(c.vast.calls(/^DELETE/).length, 1);

    // No key in any log line or response.
    const seen = JSON.stringify([logLines, r.body, listed.body, gone.body, c.warnings]);
    for (const k of [...VAST_KEYS, IONET_KEY]) assert.ok(!seen.includes(k), `${k} leaked`);
  } finally {
    await s.stop();
    await c.stop();
  }
});

test('instances a server created but died before recording are found by label and destroyed when the next one starts', async () => {
  const c = await clouds();
  // Someone else's instance on the same account (no canhazgpu label) is left alone.
  const other: VastOffer = { id: 299, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.3 };
  const theirs = c.vast.addInstance(other, 'training');
  const first = await startTestServer({ providers: c.providers() });
  const { key } = await first.user('dora');
  // The process stops for good between the creations and their record.
  let created!: () => void;
  const reachedRecord = new Promise<void>((resolve) => (created = resolve));
  let stop!: (err: Error) => void;
  first.accounts.addReservations = (_: ServerReservation[]) => {
    created();
    return new Promise<void>((_resolve, reject) => (stop = reject));
  };
  const reserving = first.api('/api/v1/gpu/instances/reserve', {
    method: 'POST',
    key,
    body: JSON.stringify({ count: 2, filters: { gpu_model: 'A100' } }),
  });
  let second: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    await reachedRecord;
    const ours = [...c.vast.instances.values()].filter((i) => i.label?.startsWith('canhazgpu:'));
    const made = ours.map((i) => String(i.id));
    const deployed = [...c.io.deployments.values()].filter((d) => d.status !== 'destroyed').map((d) => d.id);
    assert.deepEqual([made.length, deployed.length], [1, 1]);

    const logLines: string[] = [];
    second = await startTestServer({ dir: first.dir, providers: c.providers(), logLines });
    assert.deepEqual([...c.vast.instances.keys()], [theirs]);
    assert.ok([...c.io.deployments.values()].every((d) => d.status === 'destroyed'));
    // Each on record as `creating` since before it was made: found by its label, destroyed, one line each.
    const lines = logLines.map((l) => JSON.parse(l).message as string).filter((m) => m.startsWith('cloud: '));
    const names = [...made.map((id) => `vast.ai/${id}`), ...deployed.map((id) => `io.net/${id}`)];
    assert.deepEqual(
      lines.map((l) => l.replace(/ \(reservation [0-9a-f-]{36}\)/, '')).sort(),
      names.map((n) => `cloud: ${n} unrecorded: destroyed`).sort(),
    );
    const failed = await second.accounts.cloudReservations(['failed']);
    assert.deepEqual(failed.map((c) => c.contractId).sort(), [...made, ...deployed].sort());
  } finally {
    stop?.(new Error('stopped'));
    await reserving;
    await first.close();
    first.accounts.close();
    await first.store.close();
    await second?.stop();
    await c.stop();
  }
});

test('a marketplace that does not answer in time fails nobody: the other one serves the request', async () => {
  const c = await clouds();
  c.io.latencyMs = 2_000;
  const s = await startTestServer({ providers: c.providers(), providerTimeouts: { listMs: 300, createMs: 5_000 } });
  try {
    const { key } = await s.user('tim');
    const body = JSON.stringify({ count: 2, filters: { gpu_model: 'RTX_4090' } });
    const r = await s.api('/api/v1/gpu/instances/reserve', { method: 'POST', key, body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.reserved_instances.map((i: { id: string }) => i.id).sort(), ['201', '202']);
    // The listing says what each provider answered; a partial model name matches vast's whole one.
    const listed = await s.api('/api/v1/gpu/instances?gpu_model=a100', { key });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.providers, {
      local: 'ok',
      'vast.ai': 'ok',
      'io.net': "io.net's listing did not answer within 0.3 s",
    });
    assert.deepEqual(
      listed.body.instances.map((i: { id: string; gpu_model: string }) => [i.id, i.gpu_model]),
      [['204', 'A100 PCIE']],
    );
    // Pushed down: what vast compares exactly; the model is checked here.
    const search = c.vast.calls(/bundles/).at(-1)!.body as Record<string, unknown>;
    assert.deepEqual([search.num_gpus, search.gpu_name], [{ eq: 1 }, undefined]);
  } finally {
    await s.stop();
    await c.stop();
  }
});

test('a reservation that would pass the daily cap is 402 over HTTP, and nothing is created', async () => {
  const c = await clouds();
  const cloudMoney = { ...DEFAULT_CLOUD_MONEY, capPerDay: 5 };
  const s = await startTestServer({ providers: c.providers(), cloudMoney });
  try {
    const { key } = await s.user('cap');
    const ask = { count: 2, filters: { provider: 'vast.ai', gpu_model: 'RTX 4090' }, duration_hours: 7 };
    const r = await s.api('/api/v1/gpu/instances/reserve', { method: 'POST', key, body: JSON.stringify(ask) });
    assert.equal(r.status, 402, JSON.stringify(r.body));
    assert.deepEqual(r.body, {
      error:
        'Reserving these instances ($5.74 estimated) would exceed your daily cap of $5.00 ($0.00 spent or committed)',
      estimate: 5.74,
      cap: 5,
      spent: 0,
    });
    assert.equal(c.vast.calls(/^PUT/).length, 0);
    const one = { ...ask, count: 1 };
    const ok = await s.api('/api/v1/gpu/instances/reserve', { method: 'POST', key, body: JSON.stringify(one) });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const again = await s.api('/api/v1/gpu/instances/reserve', { method: 'POST', key, body: JSON.stringify(one) });
    assert.equal(again.status, 402);
    assert.match(again.body.error, /would exceed your daily cap of \$5\.00 \(\$2\.80 spent or committed\)$/);
  } finally {
    await s.stop();
    await c.stop();
  }
});

test('io.net over HTTP: quoted before the deploy (prepaid hours), charged as quoted, refused above max_price; its VM address once running', async () => {
  const c = await clouds();
  const s = await startTestServer({ providers: c.providers() });
  try {
    const { key } = await s.user('ian');
    const reserve = (filters: Record<string, unknown>) =>
      s.api('/api/v1/gpu/instances/reserve', {
        method: 'POST',
        key,
        body: JSON.stringify({ count: 1, filters: { provider: 'io.net', ...filters }, duration_hours: 3 }),
      });
    c.io.hardware[0]!.quote = 1.53; // listed at 1.50: within the tolerance, above this max_price
    const refused = await reserve({ max_price: 1.52 });
    assert.equal(refused.status, 500, JSON.stringify(refused.body));
    assert.match(refused.body.errors[0].error, /7@USx1 quoted \$1\.53\/h, above max_price \$1\.52\/h/);
    assert.equal(c.io.calls(/deploy$/).length, 0);

    const r = await reserve({ max_price: 1.6 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const [made] = r.body.reserved_instances;
    const id = made.metadata.contract_id as string;
    assert.deepEqual(
      [made.price_per_hour, made.metadata.prepaid_hours, made.metadata.quoted_total_usd],
      [1.53, '3', '4.59'],
    );
    assert.deepEqual(Object.fromEntries(c.io.calls(/price$/).at(-1)!.query), {
      location_ids: '["US"]',
      hardware_id: '7',
      currency: 'usdc',
      duration_hours: '3',
      gpus_per_vm: '1',
      replica_count: '1',
    });
    assert.equal((c.io.calls(/deploy$/)[0]!.body as { duration_hours: number }).duration_hours, 3);

    const reservations = async () => {
      const listed = await s.api('/api/v1/gpu/reservations', { key });
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      return listed.body.reservations as Array<{ contract_id: string; price_per_hour: number; instance: GpuJson }>;
    };
    type GpuJson = { status: string; metadata: Record<string, string> };
    c.io.boot(id);
    await s.deps.service.sweepCloud();
    const [shown] = await reservations();
    const ip = c.io.deployments.get(id)!.ip!;
    assert.deepEqual(
      [shown!.contract_id, shown!.price_per_hour, shown!.instance.status, shown!.instance.metadata.ssh_access],
      [id, 1.53, 'running', `ssh ubuntu@${ip}`],
    );
    assert.equal(shown!.instance.metadata.public_ip, ip);
  } finally {
    await s.stop();
    await c.stop();
  }
});
