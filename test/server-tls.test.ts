// --tls-cert/--tls-key: HTTPS and gRPC over TLS, with clients that trust the test CA alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { get as plainGet } from 'node:http';
import { get } from 'node:https';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { TEST_TLS } from '../support/redis-server.js';
import { ROOT } from '../support/sandbox.js';
import { withTestServer } from './support/server.js';

const ca = readFileSync(TEST_TLS.ca);

function httpsJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    get(url, { ca, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    }).once('error', reject);
  });
}

test('HTTPS and gRPC over TLS answer clients that trust the test CA', async () => {
  await withTestServer({ tls: true, grpc: true }, async (s) => {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const { key } = await s.user('tess');
    assert.equal((await httpsJson(`${s.url}/health`)).body.status, 'ok');
    const listed = await httpsJson(`${s.url}/api/v1/gpu/instances`, { 'x-api-key': key });
    assert.equal(listed.status, 200);
    const plainUrl = `${s.url.replace('https', 'http')}/health`;
    const plain = new Promise((resolve, reject) => plainGet(plainUrl, resolve).once('error', reject));
    await assert.rejects(plain, 'no plain HTTP on the TLS port');

    const definition = protoLoader.loadSync(`${ROOT}/proto/gpuproxy.proto`, { keepCase: true, longs: Number });
    type Package = { gpuproxy: { GPUProxyService: grpc.ServiceClientConstructor } };
    const pkg = grpc.loadPackageDefinition(definition) as unknown as Package;
    const port = s.grpcAddress!.split(':')[1];
    const client = new pkg.gpuproxy.GPUProxyService(`localhost:${port}`, grpc.credentials.createSsl(ca));
    try {
      const metadata = new grpc.Metadata();
      metadata.set('x-api-key', key);
      const reply = await new Promise<{ total_count: number }>((resolve, reject) =>
        client['ListGPUInstances']!({}, metadata, (err: Error | null, res: { total_count: number }) =>
          err ? reject(err) : resolve(res),
        ),
      );
      assert.equal(reply.total_count, 4);
    } finally {
      client.close();
    }
  });
});
