// Starts the HTTP server on an address, and stops it cleanly: in-flight requests finish first.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../domain/errors.js';
import { buildDeps, type ServerDeps, type ServerOptions } from './deps.js';
import { createHttpApp } from './http/app.js';

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
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions, http: ListenAddress): Promise<RunningServer> {
  const deps = buildDeps(options);
  const app = createHttpApp(deps);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: http.host, port: http.port }, () => resolve(s));
    s.once('error', reject);
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    deps,
    http: { host: bound.address, port: bound.port },
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Busy sockets finish their request; idle keep-alive ones (also those that go idle after a
        // last response) are closed so close() does not wait out the clients' keep-alive.
        const idle = server as { closeIdleConnections?: () => void };
        const sweep = setInterval(() => idle.closeIdleConnections?.(), 25);
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
        idle.closeIdleConnections?.();
      }),
  };
}
