// `canhazgpu serve`: the HTTP API (and dashboard, metrics) on this host's pool, loopback by default.
import { setFlagsFromString } from 'node:v8';
import { UsageError } from '../../domain/errors.js';
import { ReadingKeeper } from '../../pool/reading-keeper.js';
import { UnreservedTally } from '../../pool/unreserved-tally.js';
import { CachedProbe } from '../../probe/cached-probe.js';
import { cloudProvidersFromEnv, describeCloud } from '../../providers/cloud/from-env.js';
import { loadEnvFile } from '../env-file.js';
import { isLoopback, parseListenAddress, startServer } from '../../server/serve.js';
import type { Context } from '../context.js';
import { poolOn, sharedProbe } from '../pool.js';
import { readTlsFiles } from './serve-tls.js';

export interface ServeOptions {
  /** host:port; undefined: the config file, CANHAZGPU_HTTP, or 127.0.0.1:8080. */
  http: string | undefined;
  /** host:port or `off`; undefined: the config file, CANHAZGPU_GRPC, or 127.0.0.1:9090. */
  grpc: string | undefined;
  logFormat: string;
  rateLimit: string;
  pricePerGpuHour: string | undefined;
  /** Comma-separated host names; undefined: the config file, CANHAZGPU_ALLOWED_HOSTS, or none. */
  allowedHosts?: string | undefined;
  /** PEM files; undefined: the config file, CANHAZGPU_TLS_CERT/KEY, or plain HTTP and gRPC. */
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  /** The cloud keys' file; undefined: `.env` in the working directory, when there is one. */
  envFile?: string | undefined;
}

/** What `serve` says on stderr for a listener beyond loopback. */
export function exposureWarning(host: string, tls: boolean): string {
  return tls
    ? `Warning: serving on ${host}, beyond this machine: anyone who can reach it can try API keys and logins\n`
    : `Warning: serving on ${host}, beyond this machine, without --tls-cert: API keys and passwords cross the ` +
        'network in clear, and anyone who can reach it can try them\n';
}

/** How old a GPU reading the server may answer with; nvidia-smi takes tens of ms per run. */
const PROBE_MAX_AGE_MS = 1000;
/** How often the server refreshes this host's shared GPU reading. */
const READING_EVERY_MS = 1000;

export async function serveCommand(opts: ServeOptions, ctx: Context): Promise<number> {
  const http = parseListenAddress(opts.http ?? ctx.config.httpAddress, '--http');
  const grpcText = opts.grpc ?? ctx.config.grpcAddress;
  const grpc = grpcText === 'off' ? undefined : parseListenAddress(grpcText, '--grpc');
  if (opts.logFormat !== 'text' && opts.logFormat !== 'json')
    throw new UsageError(`--log-format must be text or json, got '${opts.logFormat}'`);
  const rateLimit = Number(opts.rateLimit);
  if (!Number.isFinite(rateLimit) || rateLimit < 0)
    throw new UsageError(`--rate-limit must be a number of requests per second (0 for none), got '${opts.rateLimit}'`);
  const price = opts.pricePerGpuHour === undefined ? null : Number(opts.pricePerGpuHour);
  if (price !== null && (!Number.isFinite(price) || price < 0))
    throw new UsageError(`--price-per-gpu-hour must be a number of at least 0, got '${opts.pricePerGpuHour}'`);

  const hostList = opts.allowedHosts ?? ctx.config.allowedHosts ?? '';
  const allowedHosts = hostList
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const tls = readTlsFiles(opts.tlsCert ?? ctx.config.tlsCert, opts.tlsKey ?? ctx.config.tlsKey);
  const warn = (line: string) => ctx.stderr.write(`warning: ${line}\n`);
  loadEnvFile(opts.envFile, warn);
  // The context's environment (the process's, or a test's) wins over what the file added.
  const env = { ...process.env, ...ctx.env };
  const clouds = cloudProvidersFromEnv(env, { clock: ctx.clock, warn });

  // A long-running server: let V8 collect garbage sooner rather than grow the heap (measured in
  // `npm run bench`: about a third less RSS under load, throughput unchanged). Only once the options
  // hold, so that a refused command (or a test of one, in-process) leaves V8 as it was.
  setFlagsFromString('--optimize-for-size');
  const store = await ctx.openStore({ reconnect: true });
  const accounts = await ctx.openAccounts({ longLived: true });
  try {
    // Each start sets the price: without the flag this host's GPUs are free again, as --help says.
    await accounts.setSetting('local_price_per_gpu_hour', String(price ?? 0));
    const stop = ctx.shutdownSignal();
    // The server keeps this host's shared reading fresh, as `canhazgpu agent` does, and answers from it.
    const shared = sharedProbe(ctx, store, 'allocate');
    // A failed reading needs no line here: the requests that find no fresh one probe and fail themselves.
    const tally = shared && new UnreservedTally(poolOn(ctx, store, shared, false), shared.readings, ctx.config.host);
    const keeper = shared && new ReadingKeeper(shared, READING_EVERY_MS, () => {}, tally || undefined);
    keeper?.start();
    const server = await startServer(
      {
        store,
        probe: new CachedProbe(shared ?? ctx.probe, ctx.clock, PROBE_MAX_AGE_MS),
        accounts,
        clock: ctx.clock,
        ownerState: ctx.ownerState,
        staleAfterMs: ctx.config.staleAfterMs,
        inUseThresholdMb: ctx.config.inUseThresholdMb,
        rateLimit,
        logFormat: opts.logFormat,
        logLine: (line) => ctx.stdout.write(`${line}\n`),
        allowedHosts,
        ...(tls ? { tls } : {}),
        extraProviders: clouds,
        ...(ctx.config.cloudMoney ? { cloudMoney: ctx.config.cloudMoney } : {}),
      },
      http,
      grpc,
    );
    for (const host of [http.host, grpc?.host].filter((h): h is string => !!h && !isLoopback(h))) {
      ctx.stderr.write(exposureWarning(host, tls !== null));
    }
    ctx.stdout.write(
      `canhazgpu server listening on ${server.url}${server.grpcAddress ? ` (gRPC on ${server.grpcAddress})` : ''}\n`,
    );
    if (clouds.length) ctx.stdout.write(`cloud providers: ${describeCloud(env)}\n`);
    const signal = await stop;
    ctx.stdout.write(`canhazgpu server stopping (${signal}): finishing requests in flight\n`);
    await server.close();
    await keeper?.stop();
    return 0;
  } finally {
    ctx.probe.close?.(); // NVML, kept initialised while serving
    accounts.close();
    await store.close();
  }
}
