// `canhazgpu serve --env-file` as an administrator runs it: the built CLI reserving from a fake vast.ai.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeVastAi } from '../support/fake-vastai.js';
import { eventually, Sandbox } from '../support/sandbox.js';

const KEY = 'vast-secret-from-env-file';
let box: Sandbox;
let vast: FakeVastAi;
let env: NodeJS.ProcessEnv;
before(async () => {
  box = new Sandbox();
  vast = await new FakeVastAi([KEY]).start();
  vast.offers = [{ id: 301, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.4 }];
  env = {
    CANHAZGPU_ACCOUNTS: join(box.dir, 'server.db'),
    CANHAZGPU_PROVIDER: 'fake',
    CANHAZGPU_HTTP: '127.0.0.1:0',
    CANHAZGPU_GRPC: 'off',
  };
  box.setGpus({ gpus: [{}] });
  await box.run(['admin', '--gpus', '1'], { env });
});
after(async () => {
  await vast.stop();
  box.cleanup();
});

function envFile(mode: number): string {
  const path = join(box.dir, `cloud-${mode.toString(8)}.env`);
  writeFileSync(path, `VASTAI_API_KEY=${KEY}\nVASTAI_API_URL=${vast.url}\n`);
  chmodSync(path, mode);
  return path;
}

async function serving(file: string) {
  const server = box.spawn(['serve', '--env-file', file], { env });
  let out = '';
  let err = '';
  server.stdout!.on('data', (d) => (out += d));
  server.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  const url = await eventually(() => out.match(/^canhazgpu server listening on (http:\/\/127\.0\.0\.1:\d+)$/m)?.[1]);
  const stop = async () => {
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
    return { out, err };
  };
  return { url: url!, stop };
}

test('serve reads the keys from a private --env-file and reserves from vast.ai; the key is never printed', async () => {
  const apiKey = (await box.run(['apikey', 'create', '--name', 'cloud'], { env })).stdout.trim();
  const s = await serving(envFile(0o600));
  // A failed request still stops the server before the assertions.
  const answer = await fetch(`${s.url}/api/v1/gpu/instances/reserve`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ count: 1, filters: { provider: 'vast.ai', min_vram: 16, max_price: 2.0 } }),
  }).then(
    async (r) => ({ status: r.status, body: await r.text() }),
    (e: Error) => ({ status: 0, body: e.message }),
  );
  const { out, err } = await s.stop();
  assert.equal(answer.status, 201, answer.body);
  assert.match(out, /^cloud providers: vast\.ai \(1 key\)$/m);
  assert.equal(vast.calls(/^PUT \/api\/v0\/asks\/301\/$/)[0]!.headers.authorization, `Bearer ${KEY}`);
  for (const text of [out, err, answer.body]) assert.ok(!text.includes(KEY));
});

test('an env file others may write is ignored with one warning line', async () => {
  const file = envFile(0o666);
  const s = await serving(file);
  const { out, err } = await s.stop();
  assert.equal(err, `warning: ignoring ${file}: other users may write it (chmod go-w)\n`);
  assert.doesNotMatch(out, /cloud providers/);
});
