import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../domain/errors.js';
import { resolveConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, body: string) => {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
};
const noFiles = { HOME: join(dir, 'nohome') };

test('defaults with no flags, variables or files', () => {
  const c = resolveConfig({}, noFiles);
  assert.deepEqual(
    [c.storeUrl, c.provider, c.inUseThresholdMb, c.heartbeatMs, c.lockWaitMs],
    ['/var/lib/canhazgpu/state.db', 'nvidia', 1024, 60_000, 12_000],
  );
});

test('flags beat variables, variables beat the config file, the file beats defaults', () => {
  const path = file(
    'c.json',
    JSON.stringify({ store: 'redis', provider: 'fake', memory_threshold_mb: 2048, heartbeat_seconds: 30 }),
  );
  const fromFile = resolveConfig({ config: path }, noFiles);
  assert.deepEqual(
    [fromFile.storeUrl, fromFile.provider, fromFile.inUseThresholdMb, fromFile.heartbeatMs],
    ['redis', 'fake', 2048, 30_000],
  );
  const fromEnv = resolveConfig(
    {},
    { ...noFiles, CANHAZGPU_CONFIG: path, CANHAZGPU_STORE: '/x.db', CANHAZGPU_MEMORY_THRESHOLD_MB: '512' },
  );
  assert.deepEqual([fromEnv.storeUrl, fromEnv.inUseThresholdMb, fromEnv.provider], ['/x.db', 512, 'fake']);
  const fromFlags = resolveConfig(
    { config: path, store: '/y.db', provider: 'nvidia' },
    { ...noFiles, CANHAZGPU_STORE: '/x.db' },
  );
  assert.deepEqual([fromFlags.storeUrl, fromFlags.provider], ['/y.db', 'nvidia']);
});

test('~/.canhazgpu.json is read when no file is named', () => {
  const home = join(dir, 'home');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.canhazgpu.json'), JSON.stringify({ store: 'redis://gpu-head:6379/1' }));
  assert.equal(resolveConfig({}, { HOME: home }).storeUrl, 'redis://gpu-head:6379/1');
});

test('a bad config file is one clear error naming it', () => {
  const cases: Array<[string, RegExp]> = [
    ['{ nope', /^config file .*bad1\.json is not valid JSON/],
    ['[1]', /must hold a JSON object/],
    ['{"stor": "x"}', /^unknown setting 'stor' in .*; known: store, provider/],
    ['{"memory_threshold_mb": "lots"}', /^'memory_threshold_mb' in .* must be a positive number, got 'lots'$/],
    ['{"store": {"url": "x"}}', /must be a string or a number/],
    [
      '{"heartbeat_seconds": 200}',
      /^'heartbeat_seconds' in .* must be at most 100 \(a third of the 300 s stale window\), got '200'$/,
    ],
  ];
  cases.forEach(([body, message], i) => {
    const path = file(`bad${i + 1}.json`, body);
    assert.throws(
      () => resolveConfig({ config: path }, noFiles),
      (e) => e instanceof UsageError && message.test(e.message),
      body,
    );
  });
  assert.throws(
    () => resolveConfig({ config: join(dir, 'missing.json') }, noFiles),
    /cannot read config file .*missing\.json: ENOENT/,
  );
});

test('cloud hours and spending caps: a "cloud" object or dotted keys in the file, CANHAZGPU_CLOUD_* variables', () => {
  assert.deepEqual(resolveConfig({}, noFiles).cloudMoney, {
    defaultHours: 8,
    maxHours: 720,
    capPerDay: null,
    capPerWeek: null,
  });
  const path = file('cloud.json', JSON.stringify({ cloud: { max_hours: 24, cap_usd_per_user_per_day: 50 } }));
  const env = { ...noFiles, CANHAZGPU_CONFIG: path, CANHAZGPU_CLOUD_CAP_USD_PER_USER_PER_WEEK: '200' };
  assert.deepEqual(resolveConfig({}, env).cloudMoney, {
    defaultHours: 8,
    maxHours: 24,
    capPerDay: 50,
    capPerWeek: 200,
  });
  const dotted = file('dotted.json', JSON.stringify({ 'cloud.max_hours': 4 }));
  assert.equal(resolveConfig({ config: dotted }, noFiles).cloudMoney!.defaultHours, 4);
  assert.throws(
    () => resolveConfig({}, { ...noFiles, CANHAZGPU_CLOUD_CAP_USD_PER_USER_PER_DAY: 'lots' }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "CANHAZGPU_CLOUD_CAP_USD_PER_USER_PER_DAY must be a number from 0 to 1000000000, got 'lots'",
  );
});

test('agent_socket: an absolute path, from the file or the environment; set empty, it turns the file off', () => {
  const path = file('agent-socket.json', '{"agent_socket": "/run/canhazgpu/agent.sock"}');
  assert.equal(resolveConfig({ config: path }, noFiles).agentSocket, '/run/canhazgpu/agent.sock');
  assert.equal(resolveConfig({ config: path }, { ...noFiles, CANHAZGPU_AGENT_SOCKET: '' }).agentSocket, undefined);
  assert.equal(resolveConfig({}, noFiles).agentSocket, undefined);
  assert.throws(
    () => resolveConfig({}, { ...noFiles, CANHAZGPU_AGENT_SOCKET: 'run/agent.sock' }),
    (err: Error) =>
      err instanceof UsageError &&
      err.message === "CANHAZGPU_AGENT_SOCKET must be an absolute path, got 'run/agent.sock'",
  );
});
