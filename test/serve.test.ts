// `canhazgpu serve`, `user add` and `apikey …` as an administrator runs them: subprocesses, real files.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, finished, Sandbox } from './support/sandbox.js';

describe('canhazgpu serve and accounts', () => {
  let box: Sandbox;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    box = new Sandbox();
    env = { CANHAZGPU_ACCOUNTS: join(box.dir, 'server.db'), CANHAZGPU_PROVIDER: 'fake' };
    box.setGpus({ gpus: [{}, {}, {}, {}] });
    await box.run(['admin', '--gpus', '4'], { env });
  });
  after(() => box.cleanup());

  const withStdin = async (args: string[], input: string) => {
    const child = box.spawn(args, { env, stdin: 'pipe' });
    child.stdin!.end(input);
    return finished(child);
  };

  test('user add and apikey create/list/revoke; keys are printed once and the accounts file is private', async () => {
    const added = await withStdin(['user', 'add', '--email', 'alice@example.com', '--admin', '--password-stdin'], 'correct horse battery\n');
    assert.equal(added.code, 0);
    assert.match(added.stdout, /^Added admin user alice@example\.com \([0-9a-f-]{36}\)\n$/);
    assert.equal(statSync(env['CANHAZGPU_ACCOUNTS']!).mode & 0o777, 0o600);
    const dup = await withStdin(['user', 'add', '--email', 'alice@example.com', '--password-stdin'], 'another password\n');
    assert.deepEqual([dup.code, dup.stderr], [1, 'Error: a user with email alice@example.com already exists\n']);
    const weak = await withStdin(['user', 'add', '--email', 'bob@example.com', '--password-stdin'], 'short\n');
    assert.deepEqual([weak.code, weak.stderr], [1, 'Error: the password must have at least 8 characters\n']);
    const created = await box.run(['apikey', 'create', '--name', 'ci', '--user', 'alice@example.com'], { env });
    assert.equal(created.code, 0);
    assert.match(created.stdout, /^chg_[A-Za-z0-9_-]{43}\n$/);
    assert.match(created.stderr, /^API key 'ci' \([0-9a-f-]{36}\) for alice@example\.com: shown once, only its hash is kept\n$/);
    const list = await box.run(['apikey', 'list', '--user', 'alice@example.com'], { env });
    assert.match(list.stdout, /^[0-9a-f-]{36} {2}ci {2}created \S+ {2}active\n$/);
    assert.ok(!list.stdout.includes(created.stdout.trim()));
    const id = list.stdout.split(' ')[0]!;
    assert.equal((await box.run(['apikey', 'revoke', id, '--user', 'alice@example.com'], { env })).stdout, `Revoked API key ${id}\n`);
    assert.equal((await box.run(['apikey', 'revoke', id, '--user', 'alice@example.com'], { env })).code, 1);
    // A key for the local user, whose account is made on first use.
    const mine = await box.run(['apikey', 'create', '--name', 'laptop'], { env });
    assert.match(mine.stderr, /for \S+@\S+: shown once/);
  });

  test('serve: loopback by default, JSON request logs, reservations the CLI sees, a clean stop on SIGTERM', async () => {
    const help = await box.run(['serve', '--help'], { env });
    assert.match(help.stdout, /--http <host:port>[^-]*\(default: "127\.0\.0\.1:8080"/);
    assert.match(help.stdout, /--grpc <host:port>[^-]*\(default: "127\.0\.0\.1:9090"/);
    const key = (await box.run(['apikey', 'create', '--name', 'serve-test', '--user', 'alice@example.com'], { env })).stdout.trim();
    // Addresses from the environment this time (flags and the config file work the same way).
    const server = box.spawn(['serve', '--log-format', 'json', '--price-per-gpu-hour', '0.5'], { env: { ...env, CANHAZGPU_HTTP: '127.0.0.1:0', CANHAZGPU_GRPC: '127.0.0.1:0' } });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    const url = await eventually(() => out.match(/^canhazgpu server listening on (http:\/\/127\.0\.0\.1:\d+) \(gRPC on 127\.0\.0\.1:\d+\)$/m)?.[1]);
    const res = await fetch(`${url}/api/v1/gpu/instances/reserve`, {
      method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ count: 3 }),
    });
    assert.equal(res.status, 201);
    // The admin's chargeback price applies to this host's GPUs.
    assert.deepEqual((await res.json() as { cost_estimate: unknown }).cost_estimate, { hourly: 1.5, daily: 36, weekly: 252, monthly: 1080 });
    const status = await box.run(['status'], { env });
    assert.equal(status.stdout.split('\n').filter((l) => / IN USE by api:alice@example\.com for 0h \d+m \d+s \(manual, expires in/.test(l)).length, 3);
    assert.equal((await box.run(['reserve', '--gpus', '2'], { env })).stderr, 'Error: Not enough GPUs available. Requested: 2, Available: 1\n');
    const log = await eventually(() => out.split('\n').find((l) => l.includes('/api/v1/gpu/instances/reserve')) ?? '');
    assert.deepEqual(Object.keys(JSON.parse(log)), ['time', 'method', 'path', 'status', 'ms']);
    assert.equal(JSON.parse(log).status, 201);
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /canhazgpu server stopping \(SIGTERM\): finishing requests in flight\n$/);
  });

  test('serve refuses bad addresses and options with one line', async () => {
    const cases: Array<[string[], string]> = [
      [['serve', '--http', '8080'], "Error: --http must be HOST:PORT (e.g. 127.0.0.1:8080), got '8080'\n"],
      [['serve', '--grpc', 'localhost:99999'], "Error: --grpc must be HOST:PORT (e.g. 127.0.0.1:8080), got 'localhost:99999'\n"],
      [['serve', '--log-format', 'xml'], "Error: --log-format must be text or json, got 'xml'\n"],
      [['serve', '--rate-limit', 'fast'], "Error: --rate-limit must be a number of requests per second (0 for none), got 'fast'\n"],
    ];
    for (const [args, stderr] of cases) {
      const r = await box.run(args, { env });
      assert.deepEqual([r.code, r.stderr], [1, stderr], args.join(' '));
    }
  });
});
