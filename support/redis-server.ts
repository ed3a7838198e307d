// A real redis-server for tests, on a free loopback port in a temp folder; restartable on that port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Test-only TLS material (test/fixtures/tls): a CA and a certificate for localhost it signed. */
export const TEST_TLS = {
  ca: join(import.meta.dirname, '../test/fixtures/tls/ca.pem'),
  cert: join(import.meta.dirname, '../test/fixtures/tls/server.pem'),
  key: join(import.meta.dirname, '../test/fixtures/tls/server.key'),
};

export function answersPing(port: number, tls = false): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls
      ? tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', ca: readFileSync(TEST_TLS.ca) })
      : connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export class RedisServer {
  private process: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'canhazgpu-redis-'));

  private constructor(
    readonly port: number,
    private readonly persist: boolean,
    private readonly tls: boolean,
    private readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return this.tls ? `rediss://localhost:${this.port}/0` : `redis://127.0.0.1:${this.port}/0`;
  }

  /**
   * Starts a server; `persist` turns on the append-only file, so a restart keeps the data; `tls`
   * serves TLS alone (TEST_TLS's certificate, no client certificates asked for).
   */
  static async start(options: { persist?: boolean; tls?: boolean; args?: string[] } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.persist ?? false, options.tls ?? false, options.args);
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    const listen = this.tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(this.port),
          '--tls-cert-file',
          TEST_TLS.cert,
          '--tls-key-file',
          TEST_TLS.key,
          '--tls-ca-cert-file',
          TEST_TLS.ca,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(this.port)];
    const args = [
      ...listen,
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      this.persist ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...this.extraArgs,
    ];
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      if (await answersPing(this.port, this.tls)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    this.process = null;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Sentinel (`redis-server --sentinel`) watching one primary as `name`, quick to fail it over. */
export class RedisSentinel {
  private constructor(
    readonly port: number,
    private readonly process: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(primaryPort: number, name = 'mymaster'): Promise<RedisSentinel> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-sentinel-'));
    const conf = join(dir, 'sentinel.conf'); // Sentinel rewrites its file: one of its own
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [conf, '--sentinel', '--loglevel', 'warning'], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      if (await answersPing(port, false)) return new RedisSentinel(port, child, dir);
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    throw new Error(`redis-sentinel did not start on port ${port}`);
  }

  async destroy(): Promise<void> {
    if (this.process.exitCode === null) {
      const exited = new Promise((r) => this.process.once('exit', r));
      this.process.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
