// Server figures: reserve+destroy requests per second and p99 latency on the local provider (a
// bounded autocannon load on loopback), and the server's RSS with 10,000 stored reservations.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SqliteRecords } from '../src/server/records/sqlite/sqlite-records.js';
import { hashApiKey, newApiKey } from '../src/server/auth.js';
import { CLI, eventually, type Sandbox } from '../support/sandbox.js';

/** User plus system CPU seconds a process has used (fields 14 and 15 of /proc/PID/stat, in clock ticks). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface ServerFigures {
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** The server's CPU time over the load's wall time: 1.0 is one core kept busy. */
  serverCpuShare: number;
  rssMb: number;
  startMs: number;
}

const rssMb = (pid: number) =>
  Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)![1]) / 1024;

/**
 * The server's figures under load. `privateStore`: its pool is a private store (`admin --private`, WAL) that
 * the server's user owns, instead of the shared layout (a kept rollback journal: an fsync'd commit each).
 */
export async function serverFigures(box: Sandbox, seconds: number, privateStore = false): Promise<ServerFigures> {
  const gpus = 16;
  const store = privateStore ? join(box.dir, `private-${randomUUID()}`, 'state.db') : box.storePath;
  if (privateStore) mkdirSync(dirname(store), { mode: 0o700 });
  const env = {
    ...box.env(),
    CANHAZGPU_PROVIDER: 'fake',
    CANHAZGPU_STORE: store,
    CANHAZGPU_ACCOUNTS: join(box.dir, `bench-server-${randomUUID()}.db`),
  };
  box.setGpus({ gpus: Array.from({ length: gpus }, () => ({})) });
  await box.run(['admin', '--gpus', String(gpus), '--force', ...(privateStore ? ['--private'] : [])], { env });

  // 10,000 stored reservations (ended ones, as a long-running server accumulates) and a key.
  const accounts = SqliteRecords.open(env.CANHAZGPU_ACCOUNTS!);
  const user = await accounts.addUser(`bench-${randomUUID()}@example.com`, 'bench', true, null, Date.now());
  const key = newApiKey();
  await accounts.addApiKey(user.id, 'bench', hashApiKey(key), Date.now());
  const instance = {
    id: 'old',
    provider: 'vast.ai',
    status: 'reserved',
    pricePerHour: 0.5,
    vramGb: 24,
    gpuModel: 'RTX 4090',
    numGpus: 1,
    location: 'eu',
    metadata: {},
  };
  for (let i = 0; i < 10_000; i++) {
    const r = {
      contractId: `old-${i}`,
      provider: 'vast.ai',
      userId: user.id,
      instance,
      pricePerHour: 0.5,
      createdAt: Date.now() - 7_200_000,
      expiresAt: Date.now(),
      endedAt: null,
    };
    await accounts.addReservation(r);
    await accounts.endReservation(r, Date.now() - 3_600_000);
  }
  accounts.close();

  const started = performance.now();
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server under load.
  const nodeArgs = process.env['BENCH_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const server = spawn(
    process.execPath,
    [...nodeArgs, CLI, 'serve', '--http', '127.0.0.1:0', '--grpc', 'off', '--rate-limit', '0'],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const collect = (d: Buffer) => (out += d);
  server.stdout.on('data', collect);
  try {
    const url = await eventually(() => out.match(/listening on (http:\/\/\S+)/)?.[1]);
    const startMs = performance.now() - started;
    // The request log still flows (the server writes it), but this process stops keeping it: on a
    // small machine, the load generator's own work competes with the server for the same cores.
    server.stdout.off('data', collect);
    server.stdout.resume();
    const cpuBefore = cpuSeconds(server.pid!);
    const loadStarted = performance.now();
    const headers = { 'x-api-key': key, 'content-type': 'application/json' };
    const result = await autocannon({
      url,
      connections: 8,
      duration: seconds,
      pipelining: 1,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/gpu/instances/reserve',
          headers,
          body: JSON.stringify({ count: 1, filters: { provider: 'local' } }),
          onResponse: (status: number, body: string, context: Record<string, unknown>) => {
            context['contract'] = status === 201 ? JSON.parse(body).reserved_instances[0].metadata.contract_id : 'none';
          },
        },
        {
          method: 'DELETE',
          headers,
          setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => ({
            ...req,
            path: `/api/v1/gpu/instances/local/${context['contract']}`,
          }),
        },
      ],
    } as autocannon.Options);
    const serverCpuShare = (cpuSeconds(server.pid!) - cpuBefore) / ((performance.now() - loadStarted) / 1000);
    return {
      serverCpuShare,
      requestsPerSecond: result.requests.average,
      p99Ms: result.latency.p99,
      errors: result.errors,
      non2xx: result.non2xx,
      rssMb: rssMb(server.pid!),
      startMs,
    };
  } finally {
    server.kill('SIGTERM');
  }
}
