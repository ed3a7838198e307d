// `canhazgpu serve` with --tls-cert/--tls-key and --allowed-hosts (flags, variables, the config file),
// as an administrator runs it: a subprocess, real files, real sockets on loopback.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exposureWarning } from '../src/cli/commands/serve.js';
import { TEST_TLS } from '../support/redis-server.js';
import { eventually, Sandbox } from '../support/sandbox.js';

function httpsStatus(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // The certificate names localhost; the Host header is what the server checks.
    const req = request(url, { ca: readFileSync(TEST_TLS.ca), servername: 'localhost', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.once('error', reject);
    req.end();
  });
}

describe('canhazgpu serve: TLS and allowed hosts', () => {
  let box: Sandbox;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    box = new Sandbox();
    env = { CANHAZGPU_ACCOUNTS: join(box.dir, 'server.db'), CANHAZGPU_PROVIDER: 'fake' };
    box.setGpus({ gpus: [{}, {}] });
    await box.run(['admin', '--gpus', '2'], { env });
  });
  after(() => box.cleanup());

  test('--tls-cert/--tls-key serve HTTPS; allowed_hosts comes from the config file', async () => {
    const config = join(box.dir, 'config.json');
    writeFileSync(config, JSON.stringify({ allowed_hosts: 'gpu.example.org, box' }));
    const args = [
      'serve',
      '--http',
      '127.0.0.1:0',
      '--grpc',
      '127.0.0.1:0',
      '--tls-cert',
      TEST_TLS.cert,
      '--tls-key',
      TEST_TLS.key,
    ];
    const server = box.spawn(args, { env: { ...env, CANHAZGPU_CONFIG: config } });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    try {
      const listening = /listening on (https:\/\/127\.0\.0\.1:\d+) \(gRPC on 127\.0\.0\.1:\d+\)$/m;
      const url = await eventually(() => out.match(listening)?.[1]);
      assert.equal(await httpsStatus(`${url}/health`, 'localhost'), 200);
      assert.equal(await httpsStatus(`${url}/metrics`, 'gpu.example.org:8443'), 200);
      assert.equal(await httpsStatus(`${url}/metrics`, 'rebound.attacker.example'), 421);
    } finally {
      server.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  test('TLS settings that cannot work are one line, before anything listens', async () => {
    const missing = join(box.dir, 'missing.pem');
    const together = 'Error: --tls-cert and --tls-key go together: give both or neither\n';
    const cases: Array<[string[], NodeJS.ProcessEnv, string | RegExp]> = [
      [['serve', '--tls-cert', TEST_TLS.cert], {}, together],
      [['serve'], { CANHAZGPU_TLS_KEY: TEST_TLS.key }, together],
      [
        ['serve', '--tls-cert', missing, '--tls-key', TEST_TLS.key],
        {},
        `Error: cannot read --tls-cert ${missing}: ENOENT\n`,
      ],
      [
        ['serve', '--tls-cert', TEST_TLS.cert, '--tls-key', TEST_TLS.ca],
        {},
        /^Error: --tls-cert and --tls-key are not a usable certificate and key: .+\n$/,
      ],
    ];
    for (const [args, extra, stderr] of cases) {
      const r = await box.run(args, { env: { ...env, ...extra } });
      assert.equal(r.code, 1, args.join(' '));
      if (typeof stderr === 'string') assert.equal(r.stderr, stderr);
      else assert.match(r.stderr, stderr);
    }
  });

  test('beyond loopback without TLS, the warning says keys and passwords cross the network in clear', () => {
    const warning =
      'Warning: serving on 10.0.0.5, beyond this machine, without --tls-cert: ' +
      'API keys and passwords cross the network in clear';
    assert.ok(exposureWarning('10.0.0.5', false).startsWith(warning));
    assert.doesNotMatch(exposureWarning('10.0.0.5', true), /in clear/);
  });
});
