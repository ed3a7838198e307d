// serve's options in-process: each bad one is one line and exit 1, before anything is opened or listens.
// A server started and stopped by a signal is test/serve.test.ts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliWithEnv } from '../../../test/support/cli.js';
import { world } from '../../../test/support/world.js';

const w = world('serve');

test('serve refuses bad addresses and options with one line', async () => {
  const m = w.machine(2);
  const accounts = join(w.dir, 'accounts', 'server.db');
  const env = { HOME: w.dir, CANHAZGPU_STORE: m.storePath, CANHAZGPU_ACCOUNTS: accounts, CANHAZGPU_PROVIDER: 'fake' };
  const cases: Array<[string[], string]> = [
    [['serve', '--http', '8080'], "Error: --http must be HOST:PORT (e.g. 127.0.0.1:8080), got '8080'\n"],
    [
      ['serve', '--grpc', 'localhost:99999'],
      "Error: --grpc must be HOST:PORT (e.g. 127.0.0.1:8080), got 'localhost:99999'\n",
    ],
    [['serve', '--log-format', 'xml'], "Error: --log-format must be text or json, got 'xml'\n"],
    [
      ['serve', '--rate-limit', 'fast'],
      "Error: --rate-limit must be a number of requests per second (0 for none), got 'fast'\n",
    ],
    [['serve', '--price-per-gpu-hour', '-1'], "Error: --price-per-gpu-hour must be a number of at least 0, got '-1'\n"],
    [
      ['serve', '--tls-cert', join(w.dir, 'cert.pem')],
      'Error: --tls-cert and --tls-key go together: give both or neither\n',
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = await cliWithEnv(args, env);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', stderr], args.join(' '));
  }
  assert.equal(existsSync(m.storePath), false);
  assert.equal(existsSync(accounts), false);
});
