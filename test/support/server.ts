// An in-process canhazgpu server on loopback for API tests: SQLite pool, fake GPUs, scripted markets.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../src/domain/ports.js';
import { FakeProbe } from '../../src/probe/fake/fake-probe.js';
import type { Provider } from '../../src/providers/provider.js';
import type { Records, User } from '../../src/server/records/ports.js';
import { SqliteRecords } from '../../src/server/records/sqlite/sqlite-records.js';
import { hashApiKey, hashPassword, newApiKey } from '../../src/server/auth.js';
import type { CloudMoney, ProviderTimeouts } from '../../src/server/service/gpu-service.js';
import type { NetworkLimits } from '../../src/server/limits.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { TEST_TLS } from '../../support/redis-server.js';

/** What the network-facing tests set besides the rest. */
interface NetworkOptions {
  limits?: Partial<NetworkLimits>;
  /** Serve HTTPS and gRPC over TLS with test/fixtures/tls (a certificate for localhost and 127.0.0.1). */
  tls?: boolean;
  allowedHosts?: string[];
  logFormat?: 'text' | 'json';
}

export interface TestServer extends RunningServer {
  store: SqliteStore;
  accounts: Records;
  dir: string;
  gpusPath: string;
  /** A user with an API key; `admin` makes an admin. */
  user(name: string, options?: { admin?: boolean; password?: string }): Promise<{ user: User; key: string }>;
  api(path: string, init?: RequestInit & { key?: string }): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  gpus?: number;
  providers?: Provider[];
  rateLimit?: number;
  clock?: Clock;
  logLines?: string[];
  grpc?: boolean;
  providerTimeouts?: ProviderTimeouts;
  cloudMoney?: CloudMoney;
  openDashboard?: boolean;
  shutdownGraceMs?: number;
  /** The files of an earlier test server, as a restarted server finds them. */
  dir?: string;
}

export async function startTestServer(options: TestServerOptions & NetworkOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'canhazgpu-server-'));
  const gpusPath = join(dir, 'gpus.json');
  // The store gets a directory of its own, as admin wants.
  const storePath = join(dir, 'pool', 'state.db');
  if (!options.dir) {
    writeFileSync(gpusPath, JSON.stringify({ gpus: Array.from({ length: options.gpus ?? 4 }, () => ({})) }));
    const admin = SqliteStore.create(storePath);
    await admin.initialize(options.gpus ?? 4, false, Date.now());
    await admin.close();
  }
  // Open as `canhazgpu serve` opens it.
  const store = SqliteStore.open(storePath, { longLived: true });
  const accounts = SqliteRecords.open(join(dir, 'server.db'), { longLived: true });
  const clock = options.clock ?? systemClock;
  const running = await startServer(
    {
      store,
      probe: new FakeProbe(gpusPath),
      accounts,
      clock,
      ownerState: () => 'unknown' as const,
      staleAfterMs: 300_000,
      inUseThresholdMb: 1024,
      rateLimit: options.rateLimit ?? 0,
      logFormat: options.logFormat ?? 'json',
      logLine: (line) => options.logLines?.push(line),
      extraProviders: options.providers ?? [],
      ...(options.providerTimeouts ? { providerTimeouts: options.providerTimeouts } : {}),
      ...(options.cloudMoney ? { cloudMoney: options.cloudMoney } : {}),
      ...(options.openDashboard !== undefined ? { openDashboard: options.openDashboard } : {}),
      ...(options.shutdownGraceMs !== undefined ? { shutdownGraceMs: options.shutdownGraceMs } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
      ...(options.tls ? { tls: { cert: readFileSync(TEST_TLS.cert), key: readFileSync(TEST_TLS.key) } } : {}),
    },
    { host: '127.0.0.1', port: 0 },
    options.grpc ? { host: '127.0.0.1', port: 0 } : undefined,
  );
  return {
    ...running,
    store,
    accounts,
    dir,
    gpusPath,
    async user(name, o = {}) {
      const hash = o.password ? await hashPassword(o.password) : null;
      const user = await accounts.addUser(`${name}@example.com`, name, o.admin ?? false, hash, clock.now());
      const key = newApiKey();
      await accounts.addApiKey(user.id, 'test', hashApiKey(key), clock.now());
      return { user, key };
    },
    async api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.key) headers.set('x-api-key', init.key);
      if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
      const res = await fetch(`${running.url}${path}`, { ...init, headers });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body, headers: res.headers };
    },
    async stop() {
      await running.close();
      accounts.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` against a fresh test server, stopped afterwards whatever happens. */
export async function withTestServer(
  options: Parameters<typeof startTestServer>[0],
  fn: (s: TestServer) => Promise<void>,
): Promise<void> {
  const s = await startTestServer(options);
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}
