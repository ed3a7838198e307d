// The built `canhazgpu cloud` as a subprocess against a server on loopback with the fake vast.ai:
// argv parsed, exit codes, one-line errors on stderr, the key never printed.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { FakeVastAi } from '../support/fake-vastai.js';
import { CLI } from '../support/sandbox.js';
import { systemClock } from '../src/domain/ports.js';
import { VastAiProvider } from '../src/providers/vastai/vastai-provider.js';
import { startTestServer } from './support/server.js';

test('cloud offers, reserve, list and destroy from the built CLI; errors are one line and exit 1', async () => {
  const vast = await new FakeVastAi(['vast-key']).start();
  vast.offers = [
    { id: 401, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.5 },
    { id: 402, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, dph_total: 0.3 },
  ];
  const s = await startTestServer({
    gpus: 0,
    providers: [new VastAiProvider({ keys: ['vast-key'], clock: systemClock, baseUrl: vast.url })],
  });
  try {
    const { key } = await s.user('dan');
    const env = { ...process.env, CANHAZGPU_SERVER: s.url, CANHAZGPU_API_KEY: key };
    // The subprocess must not block this event loop, which serves its requests: run it asynchronously.
    const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, ...args], { env: { ...env, ...extra } }, (err, stdout, stderr) =>
          resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const offers = await run(['cloud', 'offers', '--gpu-model', 'rtx_4090']);
    assert.equal(offers.status, 0, offers.stderr);
    assert.deepEqual(
      offers.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s{2,}/)[1]),
      ['OFFER', '402', '401'],
    );
    const reserved = await run(['cloud', 'reserve', '--count', '1', '--hours', '1', '--json']);
    assert.equal(reserved.status, 0, reserved.stderr);
    const contract = JSON.parse(reserved.stdout).reserved_instances[0].metadata.contract_id as string;
    const listed = await run(['cloud', 'list']);
    assert.match(listed.stdout, new RegExp(`^vast\\.ai +${contract} +RTX 4090 x1 +\\$0\\.300/h`, 'm'));
    const destroyed = await run(['cloud', 'destroy', contract]);
    assert.equal(destroyed.status, 0, destroyed.stderr);
    assert.equal(vast.instances.size, 0);

    const refused = await run(['cloud', 'reserve', '--count', '0']);
    assert.deepEqual(
      [refused.status, refused.stderr],
      [1, "Error: --count must be a whole number of at least 1, got '0'\n"],
    );
    const noKey = await run(['cloud', 'list'], { CANHAZGPU_API_KEY: '' });
    assert.deepEqual(
      [noKey.status, noKey.stderr],
      [1, 'Error: set CANHAZGPU_API_KEY to an API key of the server (canhazgpu apikey create)\n'],
    );
    for (const r of [offers, reserved, listed, destroyed]) assert.ok(!(r.stdout + r.stderr).includes(key));
    assert.equal(spawnSync(process.execPath, [CLI, 'cloud', '--help'], { env }).status, 0);
  } finally {
    await s.stop();
    await vast.stop();
  }
});
