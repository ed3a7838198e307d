// The commands the agent runs for its callers (`exec`), in-process on a real Redis through the gate: each runs
// as its caller, prints what the command prints, and whatever could make it differ is left to the caller.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alice, bob, gateOn } from '../../support/private-agent.js';
import { redisFixture } from '../../support/redis-fixture.js';
import { UsageError } from '../domain/errors.js';
import type { GpuProbe } from '../domain/ports.js';
import { RedisStore } from '../store/redis/redis-store.js';
import { commandRunner, type ExecAnswer, type ExecRequest } from './agent-exec.js';
import { resolveConfig } from './config.js';

const fixture = redisFixture();
const BUILD = 'build-1';
const unprobed: GpuProbe = {
  toolName: 'nvidia-smi',
  probe: () => Promise.reject(new Error('the agent keeps the reading: no command probes')),
};

const twoGpus = () =>
  [0, 1].map((index) => ({
    index,
    uuid: `GPU-${index}`,
    name: 'H200',
    memoryUsedMb: 0,
    memoryTotalMb: 143_771,
    processes: [],
  }));

/** The agent's runner of `build` over `store`, keeping `host`'s pool. */
function runnerOn(store: RedisStore, host: string, build: string | null) {
  return commandRunner({
    probe: unprobed,
    ownerState: () => 'unknown',
    prober: () => ({ host: 'agent-host', pid: 1, startTime: null }),
    build,
    location: store.location,
    host,
  })(gateOn(store, () => Date.now(), undefined, host));
}

async function world() {
  await fixture.redis.flushdb();
  const env = { CANHAZGPU_STORE: fixture.server.url };
  const host = resolveConfig({}, { ...env, HOME: '/nonexistent' }).host;
  const store = await RedisStore.connect(fixture.server.url, { host });
  await store.initialize(2, false, Date.now());
  await store.saveReading({ host, takenAt: Date.now(), usage: twoGpus() });
  const runner = runnerOn(store, host, BUILD);
  const run = (caller: typeof alice, argv: string[], over: Partial<ExecRequest> = {}): Promise<ExecAnswer> =>
    runner(caller, [{ argv, env, build: BUILD, tty: false, ...over }]);
  return { store, run, env, host };
}

const codeOf = (answer: ExecAnswer) => ('code' in answer ? answer.code : answer.fallback);

/** What an answer printed: its exit status, standard output and standard error. */
function printed(answer: ExecAnswer): [number, string, string] | string {
  if ('fallback' in answer) return answer.fallback;
  const text = (fd: 1 | 2) =>
    answer.output
      .filter(([f]) => f === fd)
      .map(([, t]) => t)
      .join('');
  return [answer.code, text(1), text(2)];
}

test('runs status, reserve and release as the caller, printing what the command prints', async () => {
  const { store, run } = await world();
  try {
    assert.deepEqual(printed(await run(alice, ['reserve', '--duration', '1h'])), [
      0,
      'Reserved 1 GPU(s): [0] for 1h 0m 0s\n',
      '',
    ]);
    const [code, out] = printed(await run(bob, ['status'])) as [number, string, string];
    assert.equal(code, 0);
    assert.match(out, /^GPU 0: IN USE by alice for 0h 0m \d+s \(manual, expires in /);
    // bob's release finds nothing of his: alice's GPU stays hers.
    assert.equal(codeOf(await run(bob, ['release'])), 0);
    assert.equal((await store.snapshot()).slots[0]!.reservation?.user, 'alice');
    assert.deepEqual(printed(await run(alice, ['release', '--json'])).slice(0, 1), [0]);
    assert.deepEqual(printed(await run(alice, ['reserve', '--gpus', '3'])), [
      1,
      '',
      'Error: Not enough GPUs available. Requested: 3, Available: 2\n',
    ]);
  } finally {
    await store.close();
  }
});

test('a reading too old for the command leaves it to the caller, as the agent never reads the GPUs for it', async () => {
  const { store, run, host, env } = await world();
  try {
    await store.saveReading({ host, takenAt: Date.now() - 5_000, usage: twoGpus() }); // the keeper fell behind
    assert.deepEqual(await run(alice, ['reserve']), { fallback: 'no GPU reading fresh enough' });
    assert.equal(codeOf(await run(alice, ['status'])), 0, 'status takes one up to 10 s old');
    const strict = { ...env, CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '1' };
    assert.deepEqual(await run(alice, ['status'], { env: strict }), { fallback: 'no GPU reading fresh enough' });
    assert.equal((await store.snapshot()).slots.filter((s) => s.reservation).length, 0);
  } finally {
    await store.close();
  }
});

test('beyond 4 commands at once for one user, the agent leaves the next to them; others are not held up', async () => {
  const { store, host, env } = await world();
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  // A store whose snapshots wait: the commands that look at the pool stay running until the test lets them go.
  const slow = Object.create(store) as RedisStore;
  slow.snapshot = async () => {
    await opened;
    return store.snapshot();
  };
  const runner = runnerOn(slow, host, BUILD);
  const run = (caller: typeof alice, argv: string[]) => runner(caller, [{ argv, env, build: BUILD, tty: false }]);
  try {
    const waiting = Array.from({ length: 4 }, () => run(alice, ['status']));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(await run(alice, ['status']), { fallback: 'the agent is busy' });
    const bobs = run(bob, ['status']);
    open();
    assert.equal(codeOf(await bobs), 0);
    for (const answer of await Promise.all(waiting)) assert.match(String(printed(answer)), /^0,GPU 0: AVAILABLE/);
    assert.equal(codeOf(await run(alice, ['status'])), 0, 'her turn again once they ended');
  } finally {
    await store.close();
  }
});

test('leaves to the caller what could differ: another build, command, process-bound option, setting or store', async () => {
  const { store, run, env } = await world();
  try {
    const cases: Array<[string[], Partial<ExecRequest>, RegExp]> = [
      [['status'], { build: 'build-0' }, /another build/],
      [['run', '--', 'true'], {}, /not a command/],
      [['reserve', '--wait'], {}, /--wait/],
      [['reserve', '--wait=5m'], {}, /--wait/],
      [['reserve', '--host=any'], {}, /--host/],
      [['status', '--all'], {}, /--all/],
      [['status', '-h'], {}, /-h/],
      [['release', '--help'], {}, /--help/],
      [['release', '-G1'], {}, /-G1/],
      [['status', '--', 'x'], {}, /--/],
      [['status', '--store', 'redis://elsewhere'], {}, /--store/],
      [['--store', 'x', 'status'], {}, /not a command/],
      [['status'], { env: { ...env, CANHAZGPU_PROVIDER: 'fake' } }, /CANHAZGPU_PROVIDER/],
      [['status'], { env: { ...env, CANHAZGPU_NVML_LIBRARY: '/tmp/x.so' } }, /CANHAZGPU_NVML_LIBRARY/],
      [['status'], { env: { ...env, CANHAZGPU_HOST: 'gpu-99' } }, /another store or host/],
      [['status'], { env: { CANHAZGPU_STORE: `${fixture.server.url.replace(/\/\d*$/, '')}/5` } }, /another store/],
      [['status'], { env: {} }, /another store/], // the default SQLite store
    ];
    for (const [argv, over, why] of cases) {
      const answer = await run(alice, argv, over);
      assert.match((answer as { fallback?: string }).fallback ?? '', why, `${argv.join(' ')} ${JSON.stringify(over)}`);
    }
  } finally {
    await store.close();
  }
});

test('an agent that was not built runs nothing for others, and a malformed request is one line', async () => {
  const { store } = await world();
  try {
    const runner = runnerOn(store, 'h', null);
    const request = { argv: ['status'], env: {}, build: 'unbuilt', tty: false };
    assert.deepEqual(await runner(alice, [request]), { fallback: 'another build' });
    await assert.rejects(runner(alice, [{ argv: 'status' }]), UsageError);
    await assert.rejects(runner(alice, [{ ...request, env: { PATH: '/tmp' } }]), UsageError);
  } finally {
    await store.close();
  }
});
