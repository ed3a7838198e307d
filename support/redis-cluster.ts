// A real Redis Cluster for tests: three masters (`redis-server --cluster-enabled yes`) on free loopback
// ports in a temp folder, joined by `redis-cli --cluster create`, every slot served.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { answersPing, freePort } from './redis-server.js';

const MASTERS = 3;

export class RedisCluster {
  private constructor(
    readonly ports: number[],
    private readonly processes: ChildProcess[],
    readonly dir: string,
  ) {}

  /** The store URL, naming one seed node (the client learns the others). */
  get url(): string {
    return `redis+cluster://127.0.0.1:${this.ports[0]}`;
  }

  static async start(): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-cluster-'));
    const ports: number[] = [];
    for (let i = 0; i < MASTERS; i++) ports.push(await freePort());
    const processes = ports.map((port) =>
      spawn(
        'redis-server',
        [
          ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
          ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--loglevel', 'warning'],
        ],
        { stdio: 'ignore' },
      ),
    );
    const cluster = new RedisCluster(ports, processes, dir);
    try {
      await Promise.all(ports.map((port) => cluster.waitFor(() => answersPing(port), `redis-server on ${port}`)));
      const create = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      await Promise.all(ports.map((port) => cluster.waitFor(() => clusterOk(port), `cluster_state:ok on ${port}`)));
      return cluster;
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
  }

  private async waitFor(ready: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (await ready()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${what}: not ready after 10 s`);
  }

  /** A plain cluster client, to set up and inspect keys behind the store's back. */
  async client(): Promise<Cluster> {
    const client = new Cluster(
      this.ports.map((port) => ({ host: '127.0.0.1', port })),
      { lazyConnect: true },
    );
    await client.connect(); // every master known: flushCluster and scanKeys reach them all
    return client;
  }

  async destroy(): Promise<void> {
    await Promise.all(
      this.processes.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function clusterOk(port: number): Promise<boolean> {
  const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  try {
    await node.connect();
    return /cluster_state:ok/.test(await node.cluster('INFO'));
  } catch {
    return false;
  } finally {
    node.disconnect();
  }
}

/** Empties every master (FLUSHDB reaches one node's keys). */
export async function flushCluster(client: Cluster): Promise<void> {
  await Promise.all(client.nodes('master').map((node) => node.flushdb()));
}

export interface ClusterFixture {
  readonly cluster: RedisCluster;
  /** A plain cluster client, to set up and inspect keys behind the store's back. */
  readonly client: Cluster;
}

/** A Redis Cluster and a client of it for one test file: started before its tests, gone after. */
export function clusterFixture(): ClusterFixture {
  let cluster: RedisCluster | undefined;
  let client: Cluster | undefined;
  before(async () => {
    cluster = await RedisCluster.start();
    client = await cluster.client();
  });
  after(async () => {
    client?.disconnect();
    await cluster?.destroy();
  });
  return {
    get cluster() {
      return cluster!;
    },
    get client() {
      return client!;
    },
  };
}
