// The gRPC API through @grpc/grpc-js, a client built from the .proto as the GPU proxy specification's Go client is:
// same package, service, names and field numbers on the wire.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ScriptedProvider } from '../src/providers/scripted/scripted-provider.js';
import { startTestServer, type TestServer } from './support/server.js';
import { ROOT } from '../support/sandbox.js';

type Call = (request: object, metadata: grpc.Metadata) => Promise<any>;

function client(address: string): Record<string, Call> {
  const definition = protoLoader.loadSync(`${ROOT}/proto/gpuproxy.proto`, {
    keepCase: true,
    longs: Number,
    defaults: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    gpuproxy: { GPUProxyService: grpc.ServiceClientConstructor };
  };
  const stub = new pkg.gpuproxy.GPUProxyService(address, grpc.credentials.createInsecure()) as unknown as Record<
    string,
    Function
  >;
  return new Proxy(
    {},
    {
      get: (_, method: string) =>
        method === 'close'
          ? () => (stub as unknown as grpc.Client).close()
          : (request: object, metadata: grpc.Metadata) =>
              new Promise((resolve, reject) =>
                stub[method]!.call(stub, request, metadata, (err: Error | null, res: unknown) =>
                  err ? reject(err) : resolve(res),
                ),
              ),
    },
  );
}

const meta = (pairs: Record<string, string> = {}) => {
  const m = new grpc.Metadata();
  for (const [k, v] of Object.entries(pairs)) m.set(k, v);
  return m;
};

/** The status a call ended with, and the message as the client reads it. */
async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
    return { code: grpc.status.OK, details: '' };
  } catch (err) {
    return { code: (err as grpc.ServiceError).code, details: (err as grpc.ServiceError).details };
  }
}

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return grpc.status.OK;
  } catch (err) {
    return (err as grpc.ServiceError).code;
  }
}

describe('gRPC API', () => {
  let s: TestServer;
  let rpc: Record<string, Call>;
  let alice: { key: string };
  let bob: { key: string };
  let admin: { key: string };
  const offer = (id: string, price: number, failWith?: string) => ({
    id,
    pricePerHour: price,
    vramGb: 24,
    gpuModel: 'RTX 4090',
    numGpus: 1,
    location: 'eu',
    ...(failWith ? { failWith } : {}),
  });
  before(async () => {
    s = await startTestServer({
      grpc: true,
      gpus: 4,
      providers: [
        new ScriptedProvider('vast.ai', [offer('v1', 0.5), offer('v2', 0.7, 'no capacity'), offer('v3', 0.9)]),
      ],
    });
    rpc = client(s.grpcAddress!);
    alice = await s.user('alice', { password: 'correct horse battery' });
    bob = await s.user('bob');
    admin = await s.user('root', { admin: true });
  });
  after(async () => {
    rpc['close']!({}, meta());
    await s.stop();
  });

  test('HealthCheck answers without credentials; everything else wants a key', async () => {
    const health = await rpc['HealthCheck']!({}, meta());
    assert.equal(health.status, 'ok');
    assert.ok(health.timestamp > 1_700_000_000);
    assert.equal(await code(rpc['ListGPUInstances']!({}, meta())), grpc.status.UNAUTHENTICATED);
    assert.equal(
      await code(rpc['ListGPUInstances']!({}, meta({ 'x-api-key': 'chg_wrong' }))),
      grpc.status.UNAUTHENTICATED,
    );
  });

  test('ReserveGPUs reserves with partial success, contract ids in metadata, keys as x-api-key or authorization', async () => {
    const local = await rpc['ReserveGPUs']!({ count: 2, provider: 'local' }, meta({ 'x-api-key': alice.key }));
    assert.equal(local.reserved_count, 2);
    assert.ok(local.reserved_instances.every((i: { metadata: Record<string, string> }) => i.metadata['contract_id']));
    const market = await rpc['ReserveGPUs']!(
      { count: 3, provider: 'vast.ai', max_price: 1 },
      meta({ authorization: `Bearer ${bob.key}` }),
    );
    assert.equal(market.reserved_count, 2);
    assert.equal(market.message, 'Reserved 2 of 3 GPUs');
    assert.deepEqual(market.reserved_instances.map((i: { id: string; vram_gb: number }) => [i.id, i.vram_gb]).sort(), [
      ['v1', 24],
      ['v3', 24],
    ]);
    // The fields added with new numbers: errors, prices, the estimate and the GPUs reserved.
    assert.deepEqual(market.errors, [{ instance_id: 'v2', provider: 'vast.ai', error: 'no capacity' }]);
    assert.equal(market.total_price_per_hour, 1.4);
    assert.deepEqual(market.cost_estimate, { hourly: 1.4, daily: 33.6, weekly: 235.2, monthly: 1008 });
    assert.equal(market.total_gpus, 2);
  });

  test("ReserveGPUs takes gpu_model, location, duration_hours, all_or_nothing and num_gpus; listings say each provider's answer", async () => {
    const key = meta({ 'x-api-key': alice.key });
    const none = await code(
      rpc['ReserveGPUs']!({ count: 1, provider: 'local', num_gpus: 2, gpu_model: 'fake', duration_hours: 1 }, key),
    );
    assert.equal(none, grpc.status.FAILED_PRECONDITION); // this host's GPUs are one per instance
    const listed = await rpc['ListGPUInstances']!({ location: 'nowhere' }, key);
    assert.deepEqual([listed.total_count, listed.providers], [0, { local: 'ok', 'vast.ai': 'ok' }]);
    const tooLong = await code(rpc['ReserveGPUs']!({ count: 1, provider: 'local', duration_hours: 1e6 }, key));
    assert.equal(tooLong, grpc.status.INVALID_ARGUMENT);
  });

  test('status codes: INVALID_ARGUMENT, FAILED_PRECONDITION, INTERNAL, PERMISSION_DENIED, NOT_FOUND', async () => {
    const key = meta({ 'x-api-key': bob.key });
    assert.equal(await code(rpc['ReserveGPUs']!({ count: 0 }, key)), grpc.status.INVALID_ARGUMENT);
    assert.equal(await code(rpc['ReserveGPUs']!({ count: 17 }, key)), grpc.status.INVALID_ARGUMENT);
    assert.equal(await code(rpc['ReserveGPUs']!({ count: 1, provider: 'aws' }, key)), grpc.status.INVALID_ARGUMENT);
    assert.equal(await code(rpc['ReserveGPUs']!({ count: 16 }, key)), grpc.status.FAILED_PRECONDITION);
    assert.equal(await code(rpc['ReserveGPUs']!({ count: 1, provider: 'vast.ai' }, key)), grpc.status.INTERNAL); // only the failing offer is left
    const mine = await rpc['ListGPUInstances']!({ provider: 'local' }, meta({ 'x-api-key': alice.key }));
    assert.equal(mine.total_count, 2);
    // the GPU proxy specification's "check availability first" example lists with provider "all".
    const all = await rpc['ListGPUInstances']!({ provider: 'all' }, key);
    assert.equal(all.total_count, (await rpc['ListGPUInstances']!({}, key)).total_count);
    assert.ok(all.total_count > mine.total_count);
    const { reservations } = (await s.api('/api/v1/gpu/reservations', { key: alice.key })).body;
    const contract = reservations[0].contract_id;
    assert.equal(
      await code(rpc['DestroyGPUInstance']!({ provider: 'local', instance_id: contract }, key)),
      grpc.status.PERMISSION_DENIED,
    );
    const done = await rpc['DestroyGPUInstance']!(
      { provider: 'local', instance_id: contract },
      meta({ 'x-api-key': alice.key }),
    );
    assert.equal(done.success, true);
    assert.equal(
      await code(
        rpc['DestroyGPUInstance']!({ provider: 'local', instance_id: contract }, meta({ 'x-api-key': alice.key })),
      ),
      grpc.status.NOT_FOUND,
    );
  });

  test('strategy, load info and the ledger carry real figures', async () => {
    assert.equal(
      await code(rpc['SetLoadBalancerStrategy']!({ strategy: 'round_robin' }, meta({ 'x-api-key': bob.key }))),
      grpc.status.PERMISSION_DENIED,
    );
    assert.equal(
      await code(rpc['SetLoadBalancerStrategy']!({ strategy: 'best' }, meta({ 'x-api-key': admin.key }))),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.deepEqual(
      await rpc['SetLoadBalancerStrategy']!({ strategy: 'least_response_time' }, meta({ 'x-api-key': admin.key })),
      { strategy: 'least_response_time', success: true },
    );
    const load = await rpc['GetLoadInfo']!({ type: 'all' }, meta({ 'x-api-key': bob.key }));
    assert.equal(load.current_strategy, 'least_response_time');
    const vast = load.provider_load.find((l: { provider: string }) => l.provider === 'vast.ai');
    assert.equal(vast.connections, 2);
    assert.ok(load.server_load.length >= 1);
    const ledger = await rpc['GetTransactions']!({ limit: 10, offset: 0 }, meta({ 'x-api-key': alice.key }));
    assert.equal(ledger.total_count, 1);
    assert.equal(ledger.transactions[0].currency, 'USD');
    assert.equal(
      await code(rpc['GetTransactions']!({ limit: -1 }, meta({ 'x-api-key': alice.key }))),
      grpc.status.INVALID_ARGUMENT,
    );
  });

  test("GetLoadInfo's type picks the lists: server, provider, or all (also when left empty)", async () => {
    const key = meta({ 'x-api-key': bob.key });
    const all = await rpc['GetLoadInfo']!({ type: 'all' }, key);
    assert.ok(all.server_load.length > 0 && all.provider_load.length > 0);
    const server = await rpc['GetLoadInfo']!({ type: 'server' }, key);
    assert.deepEqual([server.server_load, server.provider_load], [all.server_load, []]);
    const provider = await rpc['GetLoadInfo']!({ type: 'provider' }, key);
    assert.deepEqual([provider.server_load, provider.provider_load], [[], all.provider_load]);
    assert.deepEqual(await rpc['GetLoadInfo']!({}, key), all);
    assert.deepEqual(await failure(rpc['GetLoadInfo']!({ type: 'hosts' }, key)), {
      code: grpc.status.INVALID_ARGUMENT,
      details: "unknown type 'hosts': use server, provider or all",
    });
  });

  test('an oversized message is refused before anything reads it', async () => {
    const huge = 'x'.repeat(100 * 1024);
    assert.equal(await code(rpc['Login']!({ email: huge, password: huge }, meta())), grpc.status.RESOURCE_EXHAUSTED);
  });

  test('Login and CreateAPIKey: a token from Login makes a key that works', async () => {
    assert.equal(
      await code(rpc['Login']!({ email: 'alice@example.com', password: 'wrong' }, meta())),
      grpc.status.UNAUTHENTICATED,
    );
    const login = await rpc['Login']!({ email: 'alice@example.com', password: 'correct horse battery' }, meta());
    assert.equal(login.email, 'alice@example.com');
    const created = await rpc['CreateAPIKey']!({ name: 'grpc', token: login.token }, meta());
    assert.match(created.api_key, /^chg_/);
    assert.ok(created.created_at > 1_700_000_000);
    // The new key lists what alice's first key lists: it is hers, and it works.
    const viaNewKey = await rpc['ListGPUInstances']!({}, meta({ 'x-api-key': created.api_key }));
    assert.ok(viaNewKey.total_count > 0);
    assert.deepEqual(viaNewKey, await rpc['ListGPUInstances']!({}, meta({ 'x-api-key': alice.key })));
    assert.equal(
      await code(rpc['CreateAPIKey']!({ name: 'x', token: 'forged.token.here' }, meta())),
      grpc.status.UNAUTHENTICATED,
    );
  });

  test('messages read as written in grpc-js (spec percent-encoding), NaN filters are refused as over HTTP', async () => {
    const key = meta({ 'x-api-key': bob.key });
    assert.deepEqual(await failure(rpc['ReserveGPUs']!({ count: 16 }, key)), {
      code: grpc.status.FAILED_PRECONDITION,
      details: `Only ${(await rpc['ListGPUInstances']!({}, key)).total_count} GPU instances match the filters; requested 16`,
    });
    assert.deepEqual(await failure(rpc['ListGPUInstances']!({}, meta())), {
      code: grpc.status.UNAUTHENTICATED,
      details: 'an API key (X-API-Key or Authorization: Bearer) or a login token is required',
    });
    assert.deepEqual(await failure(rpc['ReserveGPUs']!({ count: 1, provider: 'ünïcode 100%' }, key)), {
      code: grpc.status.INVALID_ARGUMENT,
      details: "unknown provider 'ünïcode 100%': use one of local, vast.ai (or all)",
    });
    assert.equal(await code(rpc['ReserveGPUs']!({ count: 1, max_price: NaN }, key)), grpc.status.INVALID_ARGUMENT);
    assert.equal(await code(rpc['ListGPUInstances']!({ min_vram: NaN }, key)), grpc.status.INVALID_ARGUMENT);
  });

  test('Login: sizes checked, and tries limited per address as well as per email', async () => {
    // A clock that stands still refills no tries, however long each (scrypt) try takes on this machine.
    const still = await startTestServer({ grpc: true, clock: { now: () => 1_800_000_000_000 } });
    const stillRpc = client(still.grpcAddress!);
    const login = stillRpc['Login']!;
    try {
      const oversized = login({ email: `${'x'.repeat(400)}@example.com`, password: 'p' }, meta());
      assert.equal(await code(oversized), grpc.status.INVALID_ARGUMENT);
      const codes = [];
      for (let i = 0; i < 15; i++) {
        codes.push(await code(login({ email: `guess${i}@example.com`, password: 'password1' }, meta())));
      }
      // A burst of twice the 5 tries a second, all from one address, then none.
      const { UNAUTHENTICATED, RESOURCE_EXHAUSTED } = grpc.status;
      assert.deepEqual(codes, [...Array(10).fill(UNAUTHENTICATED), ...Array(5).fill(RESOURCE_EXHAUSTED)]);
    } finally {
      stillRpc['close']!({}, meta());
      await still.stop();
    }
  });
});
