// The HTTP/1 listener (HTTPS with `tls`) on @hono/node-server, with the timeouts that close idle and
// slow connections.
import { serve, type ServerType } from '@hono/node-server';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { capConnectionsPerAddress } from '../address-cap.js';
import type { NetworkLimits } from '../limits.js';

export interface HttpListenAddress {
  host: string;
  port: number;
}

export function createHttp(
  fetch: (req: Request) => Response | Promise<Response>,
  at: HttpListenAddress,
  limits: NetworkLimits,
  tls: { cert: string | Buffer; key: string | Buffer } | undefined,
  listening: () => void,
): HttpServer {
  const timeouts = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks both on this period (30 s by default, which would stretch short timeouts).
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const base = { fetch, hostname: at.host, port: at.port };
  const secure = { ...timeouts, ...tls, handshakeTimeout: limits.headersTimeoutMs };
  const server: ServerType = tls
    ? serve({ ...base, createServer: createHttpsServer, serverOptions: secure }, listening)
    : serve({ ...base, serverOptions: timeouts }, listening);
  const http = server as HttpServer;
  http.keepAliveTimeout = limits.keepAliveTimeoutMs;
  http.maxConnections = limits.maxConnections;
  capConnectionsPerAddress(http, limits.maxConnectionsPerAddress);
  return http;
}
