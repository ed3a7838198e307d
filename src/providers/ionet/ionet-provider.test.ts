// io.net against its fake: the exact requests sent, prices per VM, taken hardware, key rotation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RecordedRequest } from '../../../support/fake-http.js';
import { FakeIonet, IONET_BASE, type IonetHardware } from '../../../support/fake-ionet.js';
import { runProviderContract } from '../contract.case.test.js';
import { BAD_KEY_REST_MS } from '../cloud/keys.js';
import { IonetProvider } from './ionet-provider.js';
import { QUOTE_TOLERANCE } from './price.js';

const hardware = (): IonetHardware[] => [
  { deploy_id: 12, name: 'H100 SXM', num_cards: 2, price: 4.2, vram_per_card: 80, location: 'US', capacity: 1 },
  { deploy_id: 12, name: 'H100 SXM', num_cards: 2, price: 4.4, vram_per_card: 80, location: 'DE', capacity: 1 },
  { deploy_id: 'A6000x1', name: 'RTX A6000', num_cards: 1, price: 0.3, vram_per_card: 48, location: 'US', capacity: 1 },
];

let t = 1_800_000_000_000;
const clock = { now: () => t };
const noSleep = async () => undefined;
const HOUR = 3_600_000;

function ionetOn(fake: FakeIonet, keys = fake.keys) {
  return new IonetProvider({ keys, clock, baseUrl: `${fake.url}${IONET_BASE}`, sleep: noSleep });
}

runProviderContract('io.net (fake)', {
  open: async () => {
    const fake = await new FakeIonet().start();
    fake.hardware = hardware();
    return { provider: ionetOn(fake), close: () => fake.stop() };
  },
});

let fake: FakeIonet;
before(async () => {
  fake = await new FakeIonet(['k1', 'k2']).start();
});
after(() => fake.stop());
const fresh = () => {
  fake.hardware = hardware();
  fake.deployments.clear();
  fake.requests.length = 0;
  fake.keys = ['k1', 'k2'];
  t += 60_000;
};

test('one instance per hardware × location × GPUs per VM, priced for the whole VM, cheapest first', async () => {
  fresh();
  const found = await ionetOn(fake).available();
  assert.deepEqual(
    found.map((i) => [i.id, i.pricePerHour, i.numGpus, i.vramGb, i.location]),
    [
      ['A6000x1@USx1', 0.3, 1, 48, 'US'],
      ['12@USx2', 4.2, 2, 80, 'US'],
      ['12@DEx2', 4.4, 2, 80, 'DE'],
    ],
  );
});

test('lists GET vmaas/hardware with X-API-KEY and the GPU name and GB per card pushed down', async () => {
  fresh();
  const found = await ionetOn(fake).available({ gpuModel: 'H100_SXM', minVramGb: 40 });
  assert.equal(found.length, 2);
  const [call] = fake.calls(/hardware/);
  assert.equal(call!.path, `${IONET_BASE}/vmaas/hardware`);
  assert.equal(call!.headers['x-api-key'], 'k1');
  assert.equal(call!.headers.authorization, undefined);
  assert.deepEqual(Object.fromEntries(call!.query), { gpu: 'H100 SXM', gpu_memory_min: '40' });
});

test('quotes GET vmaas/price, then deploys with POST vmaas/deploy: labelled, one location, the hours quoted; destroy is DELETE', async () => {
  fresh();
  const io = ionetOn(fake);
  const h100 = (await io.available()).find((i) => i.id === '12@USx2')!;
  const made = await io.create(h100, 'api:ann@example.com', 2.5 * HOUR);
  const id = made.contractId;
  assert.deepEqual(
    fake.requests.map((r) => `${r.method} ${r.path.slice(IONET_BASE.length)}`),
    ['GET /vmaas/hardware', 'GET /vmaas/price', 'POST /vmaas/deploy'],
  );
  const [price] = fake.calls(/price$/);
  assert.equal(price!.headers['x-api-key'], 'k1');
  assert.deepEqual(Object.fromEntries(price!.query), {
    location_ids: '["US"]',
    hardware_id: '12',
    currency: 'usdc',
    duration_hours: '3',
    gpus_per_vm: '2',
    replica_count: '1',
  });
  // Three prepaid hours at 4.2 $/h for the VM: the instance made carries the quote.
  assert.deepEqual(
    [
      made.instance.id,
      made.instance.pricePerHour,
      made.instance.metadata.prepaid_hours,
      made.instance.metadata.quoted_total_usd,
    ],
    ['12@USx2', 4.2, '3', '12.6'],
  );
  const [deploy] = fake.calls(/deploy$/);
  const body = deploy!.body as Record<string, unknown>;
  assert.match(String(body.resource_private_name), new RegExp(`^canhazgpu:[0-9a-f-]{36}:${t / 1000 + 9000}$`));
  assert.deepEqual(
    { ...body, resource_private_name: '' },
    {
      resource_private_name: '',
      duration_hours: 3,
      gpus_per_vm: 2,
      hardware_id: 12,
      location_ids: ['US'],
      vm_image_type: 'general',
    },
  );
  assert.equal(fake.deployments.get(id)!.name, body.resource_private_name);
  assert.equal(await io.destroy(id), true);
  assert.deepEqual(
    fake.calls(/^DELETE/).map((r) => r.path),
    [`${IONET_BASE}/vmaas/deployment/${id}`],
  );
});

/** The location a price quote or a deploy asked for. */
const where = (r: RecordedRequest): unknown =>
  r.method === 'GET' ? JSON.parse(r.query.get('location_ids')!) : (r.body as { location_ids: unknown }).location_ids;

test('hardware taken meanwhile ("Not enough available hardware") is replaced by the next-best like it', async () => {
  fresh();
  const io = ionetOn(fake);
  const [us] = await io.available({ gpuModel: 'H100' });
  // Quoted while one was left, taken before the deploy.
  fake.fail({ status: 400, body: { detail: 'Not enough available hardware' }, match: /^POST .*deploy$/ });
  const { contractId: id, instance } = await io.create(us!, 'api:ann@example.com', HOUR);
  assert.equal(fake.deployments.get(id)!.hardware.location, 'DE');
  assert.deepEqual(
    fake.calls(/price$|deploy$/).map((r) => `${r.method} ${JSON.stringify(where(r))}`),
    ['GET ["US"]', 'POST ["US"]', 'GET ["DE"]', 'POST ["DE"]'],
  );
  assert.deepEqual([instance.id, instance.pricePerHour], ['12@DEx2', 4.4]);
});

test('a quote that says none is left (available_replica_count [0]) moves on without a deploy', async () => {
  fresh();
  const io = ionetOn(fake);
  const [us] = await io.available({ gpuModel: 'H100' });
  fake.hardware[0]!.capacity = 0;
  const { contractId: id } = await io.create(us!, 'api:ann@example.com', HOUR);
  assert.equal(fake.deployments.get(id)!.hardware.location, 'DE');
  assert.deepEqual(
    fake.calls(/price$|deploy$/).map((r) => `${r.method} ${JSON.stringify(where(r))}`),
    ['GET ["US"]', 'GET ["DE"]', 'POST ["DE"]'],
  );
});

test('a quote beyond the tolerance of its listing is not deployed: the next-best like it is, at its own quote', async () => {
  fresh();
  const io = ionetOn(fake);
  const [us] = await io.available({ gpuModel: 'H100' });
  fake.hardware[0]!.quote = 4.2 * (1 + QUOTE_TOLERANCE) + 0.01;
  fake.hardware[1]!.quote = 4.4 * (1 + QUOTE_TOLERANCE) - 0.01; // within: what is recorded and charged
  const { contractId, instance } = await io.create(us!, 'api:ann@example.com', HOUR);
  assert.equal(fake.deployments.get(contractId)!.hardware.location, 'DE');
  assert.deepEqual(
    fake.calls(/price$|deploy$/).map((r) => `${r.method} ${JSON.stringify(where(r))}`),
    ['GET ["US"]', 'GET ["DE"]', 'POST ["DE"]'],
  );
  assert.deepEqual([instance.id, instance.pricePerHour], ['12@DEx2', 4.61]);
});

test("a quote above the request's max_price is not deployed, nor any dearer hardware", async () => {
  fresh();
  const io = ionetOn(fake);
  const [us] = await io.available({ gpuModel: 'H100' });
  fake.hardware[0]!.quote = 4.3; // within the tolerance of 4.2, above max_price
  await assert.rejects(
    io.create(us!, 'api:ann@example.com', HOUR, undefined, { maxPricePerHour: 4.25 }),
    /deployed none of the hardware like 12@USx2 \(12@USx2 quoted \$4\.3\/h, above max_price \$4\.25\/h\)/,
  );
  assert.equal(fake.calls(/deploy$/).length, 0);
  assert.equal(fake.calls(/price$/).length, 1, 'DE, listed at 4.4, is above max_price: not even quoted');
});

test('describes a deployment by its status, and once running, how to reach its VM (GET vmaas/deployment/{id}/vms)', async () => {
  fresh();
  const io = ionetOn(fake);
  const [offer] = await io.available();
  const { contractId: id } = await io.create(offer!, 'api:ann@example.com', HOUR);
  assert.deepEqual((await io.describe([id])).get(id), { status: 'deployment requested', metadata: {} });
  assert.equal(fake.calls(/vms$/).length, 0, 'not asked before it runs');
  fake.boot(id);
  const ip = fake.deployments.get(id)!.ip!;
  const running = { vm_id: `vm-${id.slice(0, 8)}`, ssh_access: `ssh ubuntu@${ip}`, public_ip: ip, public_port: '22' };
  assert.deepEqual((await io.describe([id])).get(id), { status: 'running', metadata: running });
  assert.deepEqual((await io.describe([id])).get(id), { status: 'running', metadata: running });
  const [vms, ...again] = fake.calls(/vms$/);
  assert.equal(vms!.path, `${IONET_BASE}/vmaas/deployment/${id}/vms`);
  assert.equal(vms!.headers['x-api-key'], 'k1');
  assert.deepEqual(again, [], 'an address once read is kept');
});

test('a refused key moves to the next; a 429 too; a destroy answered 404 is already gone', async () => {
  fresh();
  fake.keys = ['k2'];
  const io = ionetOn(fake, ['k1', 'k2']);
  assert.equal((await io.available()).length, 3);
  fake.fail({ status: 429, body: { detail: 'Too many requests' }, key: 'k2' });
  fake.keys = ['k1', 'k2'];
  t += BAD_KEY_REST_MS; // the refused key is tried again after its rest
  assert.equal((await io.available()).length, 3);
  assert.deepEqual(
    fake.calls(/hardware/).map((r) => r.headers['x-api-key']),
    ['k1', 'k2', 'k2', 'k1'],
  );
  assert.equal(await io.destroy('3f1c0000-0000-4000-8000-000000000000'), false);
});

test('a deployment past its hours is destroyed when its holdings are next read', async () => {
  fresh();
  const io = ionetOn(fake);
  const [offer] = await io.available();
  const { contractId: id } = await io.create(offer!, 'api:ann@example.com', HOUR);
  assert.deepEqual(
    (await io.labelled()).map((l) => l.contractId),
    [id],
  );
  t += HOUR;
  assert.deepEqual(await io.labelled(), []);
  assert.equal(fake.deployments.get(id)!.status, 'destroyed');
});
