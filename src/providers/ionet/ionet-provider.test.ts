// io.net against its fake: the exact requests sent, prices per VM, taken hardware, key rotation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeIonet, IONET_BASE, type IonetHardware } from '../../../support/fake-ionet.js';
import { runProviderContract } from '../contract.case.test.js';
import { BAD_KEY_REST_MS } from '../cloud/keys.js';
import { IonetProvider } from './ionet-provider.js';

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

test('deploys with POST vmaas/deploy: labelled, one location, hours rounded up; destroy is DELETE', async () => {
  fresh();
  const io = ionetOn(fake);
  const h100 = (await io.available()).find((i) => i.id === '12@USx2')!;
  const id = await io.create(h100, 'api:ann@example.com', 2.5 * HOUR);
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

test('hardware taken meanwhile ("Not enough available hardware") is replaced by the next-best like it', async () => {
  fresh();
  const io = ionetOn(fake);
  const [us] = await io.available({ gpuModel: 'H100' });
  fake.hardware[0]!.capacity = 0;
  const id = await io.create(us!, 'api:ann@example.com', HOUR);
  assert.equal(fake.deployments.get(id)!.hardware.location, 'DE');
  assert.equal(fake.calls(/deploy$/).length, 2);
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
  const id = await io.create(offer!, 'api:ann@example.com', HOUR);
  assert.deepEqual(
    (await io.labelled()).map((l) => l.contractId),
    [id],
  );
  t += HOUR;
  assert.deepEqual(await io.labelled(), []);
  assert.equal(fake.deployments.get(id)!.status, 'destroyed');
});
