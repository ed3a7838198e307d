// The start-up figures of issue 9: `status` with the agent running against `node -e 0` (SQLite and Redis),
// one NVML reading through the stub library, and 64 racing `reserve`s on Redis against the Python original.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NvmlProbe } from '../src/probe/nvml/nvml-probe.js';
import type { RedisServer } from '../support/redis-server.js';
import { CLI, finished, type Sandbox } from '../support/sandbox.js';
import { buildStub, stubDir, stubMachine, stubUnavailable } from '../test/support/nvml-stub.js';
import { median, runAsync } from './support.js';

export type Row = [string, string, string, string];
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
const node = process.execPath;
/** The commands' own defaults for the shared GPU reading (the test sandbox turns sharing off). */
export const SHARED_READING = {
  CANHAZGPU_READING_MAX_AGE_SECONDS: '2',
  CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '10',
};

/** Medians of `runs` interleaved runs of each command: a loaded machine slows them alike. */
function interleaved(commands: { argv: string[]; env?: NodeJS.ProcessEnv }[], runs: number): number[] {
  const times = commands.map((): number[] => []);
  for (let i = 0; i <= runs; i++) {
    for (const [n, { argv, env }] of commands.entries()) {
      const start = process.hrtime.bigint();
      const r = spawnSync(argv[0]!, argv.slice(1), { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
      if (i > 0) times[n]!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return times.map(median);
}

/**
 * The agent reads the GPUs through NVML, as it does on a host with the driver (the stub library serves the fake
 * machine), so its readings cost what they would there; the stand-in nvidia-smi, a node process a reading,
 * when no compiler can build the stub.
 */
const stubOf = new WeakMap<Sandbox, string>();
function nvmlForAgent(box: Sandbox): NodeJS.ProcessEnv {
  if (stubUnavailable()) return {};
  const machine = join(box.dir, 'nvml-machine.txt');
  writeFileSync(machine, stubMachine({ gpus: Array.from({ length: 8 }, () => ({})) }));
  const library = stubOf.get(box) ?? buildStub(join(box.dir, 'nvml'));
  stubOf.set(box, library);
  return { CANHAZGPU_NVML_LIBRARY: library, NVML_STUB_MACHINE: machine };
}

/**
 * Runs `fn` while `canhazgpu agent` keeps this host's reading fresh on a pool of 8 GPUs just set up; on Redis it
 * keeps the store for the commands too (agent_socket), as a host that runs it should. `fn` gets the commands' env.
 */
interface AgentEnvs {
  /** The sandbox's settings (its stand-in tools): a command runs itself, through the agent's gate on Redis. */
  own: NodeJS.ProcessEnv;
  /** A user's with no settings of their own but the store's and the socket's: the agent runs the command. */
  plain: NodeJS.ProcessEnv;
}

async function withAgent<T>(box: Sandbox, storeUrl: string | undefined, fn: (envs: AgentEnvs) => Promise<T>) {
  box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
  const socketDir = join(box.dir, 'agent-run');
  if (storeUrl) mkdirSync(socketDir, { recursive: true, mode: 0o755 });
  const viaAgent = { CANHAZGPU_STORE: storeUrl, CANHAZGPU_AGENT_SOCKET: join(socketDir, 'agent.sock') };
  const env = { ...box.env(), ...SHARED_READING, ...(storeUrl ? viaAgent : {}) };
  const plain = { PATH: process.env['PATH'], HOME: box.dir, ...SHARED_READING, ...viaAgent };
  await box.run(['admin', '--gpus', '8', '--force'], { env });
  const agent = box.spawn(['agent', '--interval', '1'], { env: { ...env, ...nvmlForAgent(box) } });
  const stopped = finished(agent);
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000)); // its first readings
    // The rows say `status` reads the agent's board and the agent runs the plain user's commands: make sure.
    const said = (argv: string[], envOf: NodeJS.ProcessEnv) =>
      spawnSync(node, [CLI, ...argv], { env: { ...envOf, CANHAZGPU_DEBUG: '1' }, encoding: 'utf8' }).stderr;
    for (const envOf of storeUrl ? [env, plain] : [env]) {
      const line = said(['status'], envOf);
      if (!line.includes('read from the status board')) throw new Error(`status did not read the board: ${line}`);
    }
    if (storeUrl) {
      const line = said(['status', '--table'], plain);
      if (!line.includes('ran by the agent')) throw new Error(`the agent did not run status --table: ${line}`);
    }
    return await fn({ own: env, plain });
  } finally {
    agent.kill('SIGTERM');
    await stopped;
  }
}

/** `status` while `canhazgpu agent` keeps the reading fresh: no probe at all, against `node -e 0`. */
export function statusWithAgent(box: Sandbox, storeUrl?: string): Promise<Row> {
  return withAgent(box, storeUrl, async ({ own, plain }) => {
    const env = storeUrl ? plain : own;
    const [baseline, status] = interleaved([{ argv: [node, '-e', '0'] }, { argv: [node, CLI, 'status'], env }], 30);
    return [
      `status with the agent running (${storeUrl ? 'Redis' : 'SQLite'}, from its status board)`,
      `${status!.toFixed(1)} ms = ${(status! / baseline!).toFixed(2)}x node -e 0 (${baseline!.toFixed(1)} ms)`,
      '< 1.3x',
      verdict(status! / baseline! < 1.3),
    ];
  });
}

/** One reading of 8 GPUs through the NVML probe on the stub libnvidia-ml (initialised once, as the agent keeps it). */
export async function nvmlReading(): Promise<Row> {
  const name = 'one NVML reading, 8 GPUs, stub libnvidia-ml';
  const why = stubUnavailable();
  if (why) return [name, `not measured: ${why}`, '< 1 ms', ''];
  const dir = stubDir();
  const machine = join(dir, 'machine.txt');
  writeFileSync(
    machine,
    stubMachine({ gpus: Array.from({ length: 8 }, (_, i) => (i % 2 ? { processes: [{ pid: process.pid }] } : {})) }),
  );
  process.env['NVML_STUB_MACHINE'] = machine; // the stub reads it on nvmlInit
  const probe = new NvmlProbe({ library: buildStub(dir) });
  try {
    await probe.probe(); // loads koffi and the library, initialises NVML
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const start = process.hrtime.bigint();
      await probe.probe();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const ms = median(times);
    return [name, `${(ms * 1000).toFixed(0)} µs (median of 2000)`, '< 1 ms', verdict(ms < 1)];
  } finally {
    probe.close();
  }
}

/**
 * The Python original: `CANHAZGPU_ORIGINAL` names its script (in russellb/canhazgpu until d68025e, "Remove
 * original Python script": `git show d68025e^:canhazgpu`), run by /usr/bin/python3 with Debian's
 * python3-redis and python3-click. Null, with the reason, when it cannot run here.
 */
function pythonOriginal(): { python: string; script: string } | string {
  const script = process.env['CANHAZGPU_ORIGINAL'];
  if (!script) return 'set CANHAZGPU_ORIGINAL to the Python canhazgpu script (git show d68025e^:canhazgpu)';
  if (!existsSync(script)) return `CANHAZGPU_ORIGINAL: ${script} not found`;
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const check = spawnSync(python, ['-c', 'import redis, click'], { encoding: 'utf8' });
  if (check.status !== 0) return `${python} lacks redis or click (apt-get install python3-redis python3-click)`;
  return { python, script };
}

/** The original's script with its hard-coded localhost:6379 pointed at the bench's server. */
function originalOn(redis: RedisServer, box: Sandbox, script: string): string {
  const source = readFileSync(script, 'utf8');
  const pointed = source.replace("redis.Redis(host='localhost', port=6379, db=0)", `redis.Redis(port=${redis.port})`);
  if (pointed === source) throw new Error(`${script}: no redis.Redis(host='localhost', port=6379, db=0) to point`);
  const path = join(box.dir, 'canhazgpu-original.py');
  writeFileSync(path, pointed);
  return path;
}

interface Burst {
  ms: number;
  granted: number;
  notEnough: number;
  other: string[];
}

async function burst(argv: string[], env: NodeJS.ProcessEnv): Promise<Burst> {
  const start = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: 64 }, () => runAsync(argv, env)));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const notEnough = results.filter((r) => r.stderr.includes('Not enough GPUs available')).length;
  const granted = results.filter((r) => r.code === 0).length;
  const other = results.filter((r) => r.code !== 0 && !r.stderr.includes('Not enough GPUs available'));
  return { ms, granted, notEnough, other: other.map((r) => r.stderr.trim().split('\n').pop() ?? '') };
}

const described = (b: Burst) =>
  `${b.ms.toFixed(0)} ms, ${b.granted} granted, ${b.notEnough} "Not enough GPUs"${b.other.length ? `, ${b.other.length} other errors (${[...new Set(b.other)].slice(0, 2).join('; ')})` : ''}`;

/**
 * 64 processes reserve 1 of 8 GPUs at once on one Redis, both tools with the same stand-in nvidia-smi: ours
 * talking to Redis themselves, and through the host's agent (agent_socket), against the original.
 */
export async function racingReservesVersusOriginal(box: Sandbox, redis: RedisServer): Promise<Row[]> {
  box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
  const env = { ...box.env(), ...SHARED_READING, CANHAZGPU_STORE: redis.url };
  const reserve = [node, CLI, 'reserve', '--duration', '1h'];
  await box.run(['admin', '--gpus', '8', '--force'], { env });
  const direct = await burst(reserve, env);
  const [throughGate, runByAgent] = await withAgent(box, redis.url, async ({ own, plain }) => {
    const gate = await burst(reserve, own);
    await box.run(['admin', '--gpus', '8', '--force'], { env: own });
    return [gate, await burst(reserve, plain)];
  });
  // The floor on this machine: 64 processes that only start.
  const floor = await burst([node, '-e', '0'], env);
  // With the agent, its reading spares the commands nvidia-smi (the original starts two each).
  const ours: Array<[string, Burst]> = [
    ['each talking to Redis', direct],
    ["through the agent's store gate", throughGate!],
    ['run by the agent', runByAgent!],
  ];
  const rows: Row[] = ours.map(([how, b]) => [
    `64 racing reserves on Redis, 8 GPUs (ours, ${how})`,
    described(b),
    '8 granted, no other errors',
    verdict(b.granted === 8 && b.other.length === 0),
  ]);
  rows.push(['64 x node -e 0 at once (the floor)', `${floor.ms.toFixed(0)} ms`, '', '']);
  const original = pythonOriginal();
  if (typeof original === 'string') {
    rows.push(['64 racing reserves: the Python original', `not run: ${original}`, 'ours < 0.5x', '']);
    return rows;
  }
  const script = originalOn(redis, box, original.script);
  const admin = spawnSync(original.python, [script, 'admin', '--gpus', '8', '--force'], { env, encoding: 'utf8' });
  if (admin.status !== 0) throw new Error(`the original's admin failed: ${admin.stderr}`);
  const theirs = await burst([original.python, script, 'reserve', '--duration', '1h'], env);
  rows.push(['64 racing reserves: the Python original', described(theirs), '', '']);
  for (const [how, b] of ours) {
    rows.push([
      `64 racing reserves: ours (${how}) against the original`,
      `${(b.ms / theirs.ms).toFixed(2)}x its wall time (floor ${(floor.ms / theirs.ms).toFixed(2)}x)`,
      '< 0.5x',
      verdict(b.ms / theirs.ms < 0.5),
    ]);
  }
  return rows;
}
