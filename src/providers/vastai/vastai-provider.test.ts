// vast.ai against its fake: the exact requests sent, filters pushed down, taken offers, key rotation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeVastAi, VAST_TOO_FREQUENT, type VastOffer } from '../../../support/fake-vastai.js';
import { runProviderContract } from '../contract.case.test.js';
import { VastAiProvider } from './vastai-provider.js';

const offers = (): VastOffer[] => [
  { id: 101, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.45, geolocation: 'Oslo, NO' },
  { id: 102, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.48, geolocation: 'Lyon, FR' },
  { id: 103, gpu_name: 'A100 SXM4', num_gpus: 4, gpu_ram: 81_920, dph_total: 6.2, geolocation: 'Dallas, US' },
  { id: 104, gpu_name: 'RTX 3060', num_gpus: 1, gpu_ram: 12_288, dph_total: 0.08 },
];

let t = 1_800_000_000_000;
const clock = { now: () => t };
const noSleep = async () => undefined;

function vastOn(fake: FakeVastAi, keys = fake.keys, warn?: (l: string) => void) {
  return new VastAiProvider({ keys, clock, baseUrl: fake.url, sleep: noSleep, ...(warn ? { warn } : {}) });
}

runProviderContract('vast.ai (fake)', {
  open: async () => {
    const fake = await new FakeVastAi().start();
    fake.offers = offers();
    return { provider: vastOn(fake), close: () => fake.stop() };
  },
});

let fake: FakeVastAi;
before(async () => {
  fake = await new FakeVastAi(['k1', 'k2']).start();
});
after(() => fake.stop());
const fresh = () => {
  fake.offers = offers();
  fake.instances.clear();
  fake.requests.length = 0;
  fake.keys = ['k1', 'k2'];
  t += 60_000; // past every listing cache and key rest
};

test('one instance per offer: all its GPUs, dph_total for the whole, MB per GPU shown as GB', async () => {
  fresh();
  const [a100] = await vastOn(fake).available({ numGpus: 4 });
  assert.deepEqual(a100, {
    id: '103',
    provider: 'vast.ai',
    status: 'available',
    pricePerHour: 6.2,
    vramGb: 81.9,
    gpuModel: 'A100 SXM4',
    numGpus: 4,
    location: 'Dallas, US',
    metadata: { offer_id: '103' },
  });
});

test('searches POST /api/v0/bundles/ with a Bearer key, exact filters pushed down in vast units (not a partial GPU name), cheapest 1st', async () => {
  fresh();
  const found = await vastOn(fake).available({ minVramGb: 16, maxPricePerHour: 2, gpuModel: 'RTX_4090', numGpus: 1 });
  assert.deepEqual(
    found.map((i) => i.id),
    ['101', '102'],
  );
  const [search] = fake.calls(/bundles/);
  assert.equal(search!.method, 'POST');
  assert.equal(search!.path, '/api/v0/bundles/');
  assert.equal(search!.headers.authorization, 'Bearer k1');
  assert.deepEqual(search!.body, {
    verified: { eq: true },
    external: { eq: false },
    rentable: { eq: true },
    rented: { eq: false },
    type: 'on-demand',
    order: [['dph_total', 'asc']],
    limit: 64,
    gpu_ram: { gte: 16_000 },
    dph_total: { lte: 2 },
    num_gpus: { eq: 1 },
  });
});

test('concurrent listings share one search, and it is kept a few seconds', async () => {
  fresh();
  const vast = vastOn(fake);
  await Promise.all(Array.from({ length: 20 }, () => vast.available({ minVramGb: 16 })));
  await vast.available({ minVramGb: 16 });
  assert.equal(fake.calls(/bundles/).length, 1);
  t += 10_000;
  await vast.available({ minVramGb: 16 });
  assert.equal(fake.calls(/bundles/).length, 2);
});

test('creates with PUT /api/v0/asks/{id}/, labelled canhazgpu:<id>; destroy sends DELETE with {}', async () => {
  fresh();
  const vast = vastOn(fake);
  const [offer] = await vast.available();
  const contract = await vast.create(offer!, 'api:ann@example.com', 3_600_000);
  const [put] = fake.calls(/^PUT/);
  assert.equal(put!.path, '/api/v0/asks/104/');
  const body = put!.body as Record<string, unknown> & { label: string };
  assert.equal(body.label, `canhazgpu:${body.label.slice(10, 46)}:${t / 1000 + 3600}`);
  assert.deepEqual(
    { ...body, label: '' },
    {
      client_id: 'me',
      image: 'pytorch/pytorch:latest',
      disk: 32,
      label: '',
      env: {},
      runtype: 'ssh',
      cancel_unavail: true,
    },
  );
  assert.equal(fake.instances.get(Number(contract))!.label, body.label);
  assert.equal(await vast.destroy(contract), true);
  const [del] = fake.calls(/^DELETE/);
  assert.deepEqual([del!.path, del!.body], [`/api/v0/instances/${contract}/`, {}]);
});

test('an offer taken between search and create (410, 404) is replaced by the next-best like it, bounded', async () => {
  fresh();
  const vast = vastOn(fake);
  // The model is checked by the server on what comes back: the cheapest RTX 4090 is 101.
  const cheapest = (await vast.available({ gpuModel: 'RTX 4090' })).find((o) => o.gpuModel === 'RTX 4090');
  fake.offers.find((o) => o.id === 101)!.rented = true; // someone else rented it
  const contract = await vast.create(cheapest!, 'api:ann@example.com', 3_600_000);
  assert.equal(fake.instances.get(Number(contract))!.offer.id, 102);
  assert.deepEqual(
    fake.calls(/^PUT/).map((r) => r.path),
    ['/api/v0/asks/101/', '/api/v0/asks/102/'],
  );

  fresh();
  const gone = (await vast.available({ gpuModel: 'RTX 4090' })).find((o) => o.gpuModel === 'RTX 4090');
  fake.offers = fake.offers.filter((o) => o.gpu_name !== 'RTX 4090');
  await assert.rejects(vast.create(gone!, 'api:ann@example.com', 3_600_000), /vast.ai: offer 101 was taken/);
});

test('a refused key (401) is set aside for the next; a 429 backs off to the next; keys never shown', async () => {
  fresh();
  const warnings: string[] = [];
  fake.keys = ['k2'];
  const vast = vastOn(fake, ['k1', 'k2'], (l) => warnings.push(l));
  assert.equal((await vast.available()).length, 4);
  assert.deepEqual(
    fake.calls(/bundles/).map((r) => r.headers.authorization),
    ['Bearer k1', 'Bearer k2'],
  );
  assert.deepEqual(warnings, ['vast.ai: API key #1 was refused (401); trying the next key']);

  fresh();
  fake.keys = ['k1', 'k2'];
  fake.fail({ ...VAST_TOO_FREQUENT, key: 'k1' });
  const limited = vastOn(fake, ['k1', 'k2']);
  assert.equal((await limited.available()).length, 4);
  assert.deepEqual(
    fake.calls(/bundles/).map((r) => r.headers.authorization),
    ['Bearer k1', 'Bearer k2'],
  );

  fresh();
  fake.keys = [];
  const err = await vastOn(fake, ['secret-one', 'secret-two'])
    .available()
    .then(
      () => null,
      (e: Error) => e,
    );
  const why = '(key #1 refused (401), key #2 refused (401))';
  assert.equal(err!.message, `vast.ai: no usable API key for POST /api/v0/bundles/ ${why}`);
});

test('a destroy answered 404 is "already gone"; a 5xx on a search is retried', async () => {
  fresh();
  const vast = vastOn(fake);
  assert.equal(await vast.destroy('999'), false);
  fake.fail({ status: 502, body: 'Bad Gateway', match: /bundles/ });
  assert.equal((await vast.available()).length, 4);
  assert.equal(fake.calls(/bundles/).length, 2);
});

test('a call that does not answer in time fails with a timeout naming no key', async () => {
  fresh();
  fake.latencyMs = 300;
  try {
    const vast = new VastAiProvider({ keys: ['k1'], clock, baseUrl: fake.url, timeoutMs: 50, sleep: noSleep });
    const timedOut = /^Error: vast.ai: DELETE \/api\/v0\/instances\/5\/ timed out after 0.05 s$/;
    await assert.rejects(vast.destroy('5'), timedOut);
  } finally {
    fake.latencyMs = 0;
  }
});

test('an instance past its hours is destroyed when its holdings are next read, and no longer held', async () => {
  fresh();
  const vast = vastOn(fake);
  const [offer] = await vast.available();
  const contract = await vast.create(offer!, 'api:ann@example.com', 3_600_000);
  t += 3_599_000;
  assert.deepEqual(await vast.stillHeld([contract]), new Set([contract]));
  t += 1_000;
  assert.deepEqual(await vast.stillHeld([contract]), new Set());
  assert.deepEqual(
    fake.calls(/^DELETE/).map((r) => r.path),
    [`/api/v0/instances/${contract}/`],
  );
  assert.equal(fake.instances.size, 0);
});

test('describes an instance from GET /instances/: provisioning while actual_status is null, then its ssh address', async () => {
  fresh();
  const vast = vastOn(fake);
  const [offer] = await vast.available();
  const contract = await vast.create(offer!, 'api:ann@example.com', 3_600_000);
  assert.equal((await vast.describe([contract])).get(contract)!.status, 'provisioning');
  const row = fake.instances.get(Number(contract))!;
  row.actual_status = 'running';
  assert.deepEqual((await vast.describe([contract])).get(contract), {
    status: 'running',
    metadata: { ssh_host: row.ssh_host, ssh_port: String(row.ssh_port) },
  });
});
