// `canhazgpu serve` as an administrator runs it: a subprocess, real files, stopped by a signal. Its options
// and the `user` and `apikey` commands are tested in-process (src/cli/commands/).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli } from './support/cli.js';
import { eventually, Sandbox } from '../support/sandbox.js';

describe('canhazgpu serve', () => {
  let box: Sandbox;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    box = new Sandbox();
    env = { CANHAZGPU_ACCOUNTS: join(box.dir, 'server.db'), CANHAZGPU_PROVIDER: 'fake' };
    box.setGpus({ gpus: [{}, {}, {}, {}] });
    await box.run(['admin', '--gpus', '4'], { env });
  });
  after(() => box.cleanup());

  test('serve: loopback by default, JSON request logs, reservations the CLI sees, a clean stop on SIGTERM', async () => {
    const help = await box.run(['serve', '--help'], { env });
    assert.match(help.stdout, /--http <host:port>[^-]*\(default: "127\.0\.0\.1:8080"/);
    assert.match(help.stdout, /--grpc <host:port>[^-]*\(default: "127\.0\.0\.1:9090"/);
    const accounts = { accounts: env['CANHAZGPU_ACCOUNTS']! };
    assert.equal((await cli(['user', 'add', '--email', 'alice@example.com'], accounts)).code, 0);
    const created = await cli(['apikey', 'create', '--name', 'serve-test', '--user', 'alice@example.com'], accounts);
    const key = created.stdout.trim();
    // Addresses from the environment this time (flags and the config file work the same way).
    const server = box.spawn(['serve', '--log-format', 'json', '--price-per-gpu-hour', '0.5'], {
      env: { ...env, CANHAZGPU_HTTP: '127.0.0.1:0', CANHAZGPU_GRPC: '127.0.0.1:0' },
    });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    const url = await eventually(
      () => out.match(/^canhazgpu server listening on (http:\/\/127\.0\.0\.1:\d+) \(gRPC on 127\.0\.0\.1:\d+\)$/m)?.[1],
    );
    const res = await fetch(`${url}/api/v1/gpu/instances/reserve`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ count: 3 }),
    });
    assert.equal(res.status, 201);
    // The admin's chargeback price applies to this host's GPUs.
    assert.deepEqual(((await res.json()) as { cost_estimate: unknown }).cost_estimate, {
      hourly: 1.5,
      daily: 36,
      weekly: 252,
      monthly: 1080,
    });
    const status = await box.run(['status'], { env });
    assert.equal(
      status.stdout
        .split('\n')
        .filter((l) => / IN USE by api:alice@example\.com for 0h \d+m \d+s \(manual, expires in/.test(l)).length,
      3,
    );
    assert.equal(
      (await box.run(['reserve', '--gpus', '2'], { env })).stderr,
      'Error: Not enough GPUs available. Requested: 2, Available: 1\n',
    );
    const log = await eventually(() => out.split('\n').find((l) => l.includes('/api/v1/gpu/instances/reserve')) ?? '');
    assert.deepEqual(Object.keys(JSON.parse(log)), ['time', 'method', 'path', 'status', 'ms']);
    assert.equal(JSON.parse(log).status, 201);
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /canhazgpu server stopping \(SIGTERM\): finishing requests in flight\n$/);
  });
});
