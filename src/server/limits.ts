// How much of the server a client may hold: connections, time and memory, on both listeners. Without
// them idle sockets exhaust file descriptors and half-sent gRPC messages fill memory before any key is checked.
import { readFileSync } from 'node:fs';

export interface NetworkLimits {
  /** A request's headers (and on TLS, the handshake) must have arrived by then; a silent new connection is closed. */
  headersTimeoutMs: number;
  /** HTTP/1: the whole request, body included, must have arrived by then (408, connection closed). */
  requestTimeoutMs: number;
  /** HTTP/1: a keep-alive connection idle this long is closed. */
  keepAliveTimeoutMs: number;
  /** Open connections per listener; more are closed as they arrive. */
  maxConnections: number;
  /** Open connections per remote address on each listener; more are closed as they arrive. */
  maxConnectionsPerAddress: number;
  /** gRPC: calls one connection may have open at once (more are refused with REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** gRPC: what HTTP/2 itself may hold per connection, in MB (node's maxSessionMemory). */
  maxSessionMemoryMb: number;
  /** gRPC: bytes a call may send before its credentials are known good (a Login fits easily). */
  unauthenticatedBytes: number;
  /** gRPC: bytes all calls without good credentials may have sent at once, together (the rest are refused). */
  unauthenticatedTotalBytes: number;
  /** gRPC: a call that has not sent its whole request by then is reset. */
  streamTimeoutMs: number;
  /** gRPC: a connection with no call open for this long is closed (GOAWAY). */
  idleSessionMs: number;
}

/** File descriptors kept for the stores, nvidia-smi's pipes and the rest when sharing them among sockets. */
const RESERVED_FDS = 64;
const MAX_CONNECTIONS_CAP = 1024;
const MIN_CONNECTIONS = 16;

/**
 * Half of what the open-file limit leaves per listener (Node raises the soft limit to the hard one at
 * start), so sockets on both cannot take the descriptors the stores and /health need.
 */
export function defaultMaxConnections(limitsText = readProcLimits()): number {
  const fds = Number(limitsText?.match(/^Max open files\s+(\d+)/m)?.[1]);
  if (!Number.isFinite(fds) || fds <= 0) return MAX_CONNECTIONS_CAP;
  return Math.max(MIN_CONNECTIONS, Math.min(MAX_CONNECTIONS_CAP, Math.floor((fds - RESERVED_FDS) / 2)));
}

function readProcLimits(): string | null {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
}

const DEFAULTS: Omit<NetworkLimits, 'maxConnections'> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnectionsPerAddress: 32,
  maxConcurrentStreams: 100,
  maxSessionMemoryMb: 10,
  unauthenticatedBytes: 8 * 1024,
  unauthenticatedTotalBytes: 16 * 1024 * 1024,
  streamTimeoutMs: 10_000,
  idleSessionMs: 60_000,
};

/** The defaults, with what `given` sets (tests shorten the timeouts). */
export function resolveLimits(given: Partial<NetworkLimits> = {}): NetworkLimits {
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return { ...DEFAULTS, maxConnections: given.maxConnections ?? defaultMaxConnections(), ...set };
}
