// The fake marketplaces answer as cloud-apis.md says the real ones do: the providers' tests rely on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeIonet, IONET_BASE } from '../support/fake-ionet.js';
import { FakeVastAi } from '../support/fake-vastai.js';

test('fake vast.ai: Bearer auth, searches with operators, 410 for a rented offer, 404 destroying twice', async () => {
  const vast = await new FakeVastAi(['k']).start();
  try {
    vast.offers = [{ id: 1, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.4 }];
    const call = (method: string, path: string, body?: unknown, key = 'k') =>
      fetch(`${vast.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(method === 'GET' ? {} : { body: JSON.stringify(body ?? {}) }),
      }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }));
    assert.equal((await call('POST', '/api/v0/bundles/', {}, 'bad')).status, 401);
    assert.equal((await call('POST', '/api/v0/bundles/', { gpu_ram: { gte: 30_000 } })).body.offers.length, 0);
    const ask = { client_id: 'me', image: 'x', label: 'canhazgpu:a' };
    assert.equal((await call('PUT', '/api/v0/asks/1/', ask)).status, 200);
    const again = await call('PUT', '/api/v0/asks/1/', { client_id: 'me', image: 'x' });
    assert.equal(again.status, 410);
    assert.equal(again.body.error, 'no_such_ask');
    const [inst] = (await call('GET', '/api/v0/instances/')).body.instances;
    assert.equal(inst.label, 'canhazgpu:a');
    assert.equal((await call('DELETE', `/api/v0/instances/${inst.id}/`)).status, 200);
    assert.equal((await call('DELETE', `/api/v0/instances/${inst.id}/`)).status, 404);
    assert.equal(vast.requests.length, 7);
  } finally {
    await vast.stop();
  }
});

test('fake io.net: X-API-KEY, hardware filters, price quotes, no capacity is a 400, VMs once running, scripted 429', async () => {
  const io = await new FakeIonet(['k']).start();
  try {
    io.hardware = [
      { deploy_id: 12, name: 'H100 SXM', num_cards: 2, price: 4, vram_per_card: 80, location: 'US', capacity: 1 },
    ];
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${io.url}${IONET_BASE}${path}`, {
        method,
        headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }));
    assert.equal((await call('GET', '/vmaas/hardware?gpu_memory_min=100')).body.data.hardware.length, 0);
    const deploy = {
      resource_private_name: 'canhazgpu:x',
      duration_hours: 1,
      gpus_per_vm: 2,
      hardware_id: 12,
      location_ids: ['US'],
    };
    // vmaas/price: every parameter required; the VM's price × hours; a bare 404 for hardware it has not.
    const price = '/vmaas/price?location_ids=%5B%22US%22%5D&hardware_id=12&currency=usdc&gpus_per_vm=2&replica_count=1';
    assert.equal((await call('GET', price)).status, 422);
    const quoted = (await call('GET', `${price}&duration_hours=3`)).body.data;
    assert.deepEqual([quoted.total_cost_usdc, quoted.available_replica_count], [12, [1]]);
    assert.equal((await call('GET', `${price.replace('=12', '=13')}&duration_hours=3`)).status, 404);
    const made = await call('POST', '/vmaas/deploy', deploy);
    assert.equal(made.status, 200);
    assert.equal((await call('POST', '/vmaas/deploy', deploy)).status, 400);
    // Its VMs: none until it runs, then one with the SSH line.
    const vms = `/vmaas/deployment/${made.body.deployment_id}/vms`;
    assert.deepEqual((await call('GET', vms)).body, { data: { total: 0, workers: [] } });
    io.boot(made.body.deployment_id);
    const [vm] = (await call('GET', vms)).body.data.workers;
    assert.equal(vm.ssh_access, `ssh ubuntu@${io.deployments.get(made.body.deployment_id)!.ip}`);
    io.fail({ status: 429, body: { detail: 'Too many requests' }, match: /GET/ });
    assert.equal((await call('GET', '/vmaas/deployments')).status, 429);
    assert.equal((await call('GET', '/vmaas/deployments')).body.data.total, 1);
  } finally {
    await io.stop();
  }
});
