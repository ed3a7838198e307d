// Starts the HTTP server on an address, and stops it cleanly: in-flight requests finish first.
import { ConnectError, createContextValues, type Interceptor } from '@connectrpc/connect';
import type { OutgoingHttpHeaders, Server as HttpServer } from 'node:http';
import {
  createSecureServer,
  createServer as createHttp2Server,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../domain/errors.js';
import { capConnectionsPerAddress } from './address-cap.js';
import { buildDeps, type ServerDeps, type ServerOptions } from './deps.js';
import { guardedGrpcHandler } from './grpc/guard.js';
import { gpuProxyRoutes, PEER_ADDRESS } from './grpc/service.js';
import { trackSessions } from './grpc/sessions.js';
import { createHttpApp } from './http/app.js';
import { createHttp } from './http/listen.js';
import { resolveLimits, type NetworkLimits } from './limits.js';
import { jsonLine, printable } from './log.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:8080`, `[::1]:8080`, `localhost:0`; a host is required, so nothing binds wide by accident. */
export function parseListenAddress(text: string, flag: string): ListenAddress {
  const match = text.trim().match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new UsageError(`${flag} must be HOST:PORT (e.g. 127.0.0.1:8080), got '${text}'`);
  return { host: match[1] ?? match[2]!, port };
}

export interface RunningServer {
  deps: ServerDeps;
  http: ListenAddress;
  url: string;
  /** host:port of the gRPC listener, when one was asked for. */
  grpcAddress: string | null;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 64 * 1024;
/** How long requests and calls in flight may take to finish after a shutdown begins. */
const DEFAULT_GRACE_MS = 5_000;

const display = (a: AddressInfo) => `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;

/** One log line per gRPC call, like the HTTP side. */
function grpcLogger(deps: ServerDeps, json: boolean): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    let code = 'OK';
    try {
      return await next(req);
    } catch (err) {
      code = err instanceof ConnectError ? String(err.code) : 'UNKNOWN';
      throw err;
    } finally {
      const entry = {
        time: new Date(deps.clock.now()).toISOString(),
        rpc: `${req.service.typeName}/${req.method.name}`,
        code,
        ms: Math.round((performance.now() - started) * 100) / 100,
      };
      deps.log.line(json ? jsonLine(entry) : `${entry.time} gRPC ${printable(entry.rpc)} ${entry.code} ${entry.ms}ms`);
    }
  };
}

/**
 * grpc-message percent-encoded as the gRPC spec says (bytes outside printable ASCII, and '%'). Connect
 * encodes every URI-reserved character too, and @grpc/grpc-js decodes with decodeURI, so its users
 * would read "filters%3B requested 2"; spec encoding reads the same in every client.
 */
function withSpecGrpcMessages(res: Http2ServerResponse): Http2ServerResponse {
  const respec = (headers: unknown) => {
    const h = headers as Record<string, unknown> | undefined;
    const message = h?.['grpc-message'];
    if (typeof message === 'string') h!['grpc-message'] = encodeGrpcMessage(safeDecode(message));
    return headers;
  };
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: unknown) => Http2ServerResponse;
  const addTrailers = res.addTrailers.bind(res);
  Object.assign(res, {
    writeHead: (status: number, headers?: unknown) => writeHead(status, respec(headers)),
    addTrailers: (headers: OutgoingHttpHeaders) => addTrailers(respec(headers) as OutgoingHttpHeaders),
  });
  return res;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function encodeGrpcMessage(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

type GrpcServer = Http2Server | Http2SecureServer;

async function listenGrpc(
  deps: ServerDeps,
  address: ListenAddress,
  json: boolean,
  limits: NetworkLimits,
  tls: ServerOptions['tls'],
): Promise<{ server: GrpcServer; sessions: Set<ServerHttp2Session> }> {
  const header = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);
  const handler = guardedGrpcHandler({
    routes: gpuProxyRoutes(deps),
    grpc: true,
    grpcWeb: false,
    connect: false,
    interceptors: [grpcLogger(deps, json)],
    // Messages are read before the handler checks credentials: keep them as small as HTTP bodies,
    // and take no compressed ones (a small zip bomb would otherwise fill memory).
    readMaxBytes: MAX_MESSAGE_BYTES,
    acceptCompression: [],
    contextValues: (req) => createContextValues().set(PEER_ADDRESS, req.socket?.remoteAddress ?? 'unknown'),
    credentialed: (req) =>
      deps.identity.authenticate(header(req.headers['x-api-key']), header(req.headers.authorization)).then(
        () => true,
        () => false,
      ),
    unauthenticatedBytes: limits.unauthenticatedBytes,
    unauthenticatedTotalBytes: limits.unauthenticatedTotalBytes,
    streamTimeoutMs: limits.streamTimeoutMs,
    onError: (err) => deps.log.error(err),
  });
  const options = {
    settings: { maxConcurrentStreams: limits.maxConcurrentStreams },
    maxSessionMemory: limits.maxSessionMemoryMb,
  };
  const listener = (req: Parameters<typeof handler>[0], res: Http2ServerResponse) =>
    handler(req, withSpecGrpcMessages(res));
  const server: GrpcServer = tls
    ? createSecureServer({ ...options, ...tls, handshakeTimeout: limits.headersTimeoutMs }, listener)
    : createHttp2Server(options, listener);
  server.maxConnections = limits.maxConnections;
  capConnectionsPerAddress(server, limits.maxConnectionsPerAddress);
  const sessions = trackSessions(server, limits.idleSessionMs);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  return { server, sessions };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
/** How often reservations their providers ended (expiry, a CLI release) are closed and charged. */
const RECONCILE_EVERY_MS = 30_000;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Frees the grants a server that died before recording them left behind; one line says which. */
async function releaseUnrecorded(deps: ServerDeps): Promise<void> {
  try {
    const released = await deps.service.releaseUnrecorded();
    if (released.length === 0) return;
    deps.log.warn(`released ${released.length} grant(s) no reservation records: ${released.join(', ')}`);
  } catch (err) {
    deps.log.error(err);
  }
}

export async function startServer(
  options: ServerOptions,
  http: ListenAddress,
  grpc?: ListenAddress,
): Promise<RunningServer> {
  const loopback = isLoopback(http.host);
  const checkHost = loopback || !!options.allowedHosts?.length;
  const deps = buildDeps({ openDashboard: loopback, checkHost, ...options });
  // Before the first request: nothing of this server is in flight yet.
  await releaseUnrecorded(deps);
  const graceMs = options.shutdownGraceMs ?? DEFAULT_GRACE_MS;
  const limits = resolveLimits(options.limits);
  const app = createHttpApp(deps);
  const server: HttpServer = await new Promise((resolve, reject) => {
    const s = createHttp(app.fetch, http, limits, options.tls, () => resolve(s));
    s.once('error', (err) =>
      reject(new UsageError(`cannot listen for HTTP on ${http.host}:${http.port}: ${err.message}`)),
    );
  });
  let grpcServer: Awaited<ReturnType<typeof listenGrpc>> | null = null;
  try {
    if (grpc) grpcServer = await listenGrpc(deps, grpc, options.logFormat === 'json', limits, options.tls);
  } catch (err) {
    server.close();
    throw new UsageError(`cannot listen for gRPC on ${grpc!.host}:${grpc!.port}: ${(err as Error).message}`);
  }
  const bound = server.address() as AddressInfo;
  const reconcile = () =>
    deps.service.reconcile().then(
      () => releaseUnrecorded(deps),
      (err: unknown) => deps.log.error(err),
    );
  const reconciler = setInterval(reconcile, RECONCILE_EVERY_MS);
  reconciler.unref();
  const closeGrpc = () =>
    new Promise<void>((resolve) => {
      if (!grpcServer) return resolve();
      const { server: h2, sessions } = grpcServer;
      // Sessions stop taking new calls and end once their calls in flight are answered; a stream a
      // client never finishes is cut after a grace period.
      const cut = setTimeout(() => sessions.forEach((session) => session.destroy()), graceMs);
      h2.close(() => {
        clearTimeout(cut);
        resolve();
      });
      for (const session of sessions) session.close();
    });
  const closeHttp = () =>
    new Promise<void>((resolve) => {
      // Busy sockets finish their request; idle keep-alive ones (also those that go idle after a
      // last response) are closed so close() does not wait out the clients' keep-alive.
      const idle = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
      const sweep = setInterval(() => idle.closeIdleConnections?.(), 25);
      // A request stuck on a provider that never answers is cut after the grace period.
      const cut = setTimeout(() => idle.closeAllConnections?.(), graceMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(cut);
        resolve();
      });
      idle.closeIdleConnections?.();
    });
  return {
    deps,
    http: { host: bound.address, port: bound.port },
    url: `${options.tls ? 'https' : 'http'}://${display(bound)}`,
    grpcAddress: grpcServer ? display(grpcServer.server.address() as AddressInfo) : null,
    close: async () => {
      clearInterval(reconciler);
      await Promise.all([closeHttp(), closeGrpc()]);
      // A reservation whose caller was cut off after the grace period still finishes (its creations
      // are bounded by the provider timeouts) and is recorded before the stores close under it.
      await deps.service.idle();
    },
  };
}
