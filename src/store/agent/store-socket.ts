// The agent's side of the private store: a Unix socket every local user may connect to (0666), in the
// store's own directory (which only its owner may write, so nobody can put another socket there). Each
// connection is one caller, identified once by the kernel; its requests go through the StoreGate.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { currentUid } from '../../host/trusted-path.js';
import {
  type AgentAnswer,
  decodeLine,
  encodeLine,
  isRequest,
  LineSplitter,
  MAX_LINE_BYTES,
  toWire,
} from './protocol.js';
import type { Caller, StoreGate } from './store-gate.js';

/** Many users' commands at once, but not without bound: each connection costs a descriptor. */
const MAX_CONNECTIONS = 512;
/** A connection that says nothing for this long is closed; clients connect again when they need to. */
const IDLE_MS = 120_000;

export interface StoreSocketOptions {
  path: string;
  gate: StoreGate;
  /** Who is connected (from SO_PEERCRED in production). */
  identify(socket: Socket): Promise<Caller>;
  /** One line for the agent's log: a failure no caller should see. */
  log(line: string): void;
  /** Runs a whole command for the caller (`exec`), where the agent offers it. */
  exec?: (caller: Caller, args: unknown[]) => Promise<unknown>;
}

export interface StoreSocket {
  server: Server;
  /** Stops listening and drops every connection (clients connect again to the next agent). */
  close(): Promise<void>;
}

/** Listens on `path`, replacing a socket left by an earlier agent of the same user. */
export async function serveStoreSocket(o: StoreSocketOptions): Promise<StoreSocket> {
  removeStaleSocket(o.path);
  const open = new Set<Socket>();
  const perUser = new Map<number, number>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    void serveConnection(socket, o, perUser);
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Every user must be able to connect from the socket's first moment: listen() makes it (synchronously,
    // for a path) under a umask that leaves it 0666, not 0755 until a chmod that a client could beat.
    const umask = process.umask(0o111);
    try {
      server.listen(o.path, () => resolve());
    } finally {
      process.umask(umask);
    }
  });
  // Made just now by listen() in a directory only we may write: 0666 whatever umask the system imposed.
  chmodSync(o.path, 0o666);
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}

function removeStaleSocket(path: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket() || st.uid !== currentUid()) {
    throw new Error(`${path} exists and is not a socket of this user: move it aside`);
  }
  unlinkSync(path);
}

/**
 * Connections one ordinary user may hold at once (each running `run` and waiting `--wait` holds one): the
 * rest of MAX_CONNECTIONS stays for everyone else.
 */
export const MAX_CONNECTIONS_PER_USER = 128;
/** An ordinary user's request line (what the CLI sends is well under 16 KiB). */
const MAX_UNTRUSTED_LINE_BYTES = 64 << 10;
/** Requests read ahead on one connection; beyond them (or while its answers wait to be read) reading pauses. */
const MAX_QUEUED = 64;

async function serveConnection(socket: Socket, o: StoreSocketOptions, perUser: Map<number, number>): Promise<void> {
  socket.setEncoding('utf8');
  socket.setTimeout(IDLE_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  // No 'data' listener until the caller is known: what arrives meanwhile stays in the kernel and the stream's
  // bounded buffer, which stops reading when full.
  let caller: Caller;
  try {
    caller = await o.identify(socket);
  } catch (err) {
    o.log(`refused a connection: ${(err as Error).message}`);
    socket.destroy();
    return;
  }
  if (socket.destroyed) return;
  if (!caller.trusted) {
    const held = perUser.get(caller.uid) ?? 0;
    if (held >= MAX_CONNECTIONS_PER_USER) {
      socket.destroy();
      return;
    }
    perUser.set(caller.uid, held + 1);
    socket.once('close', () => {
      const left = (perUser.get(caller.uid) ?? 1) - 1;
      if (left > 0) perUser.set(caller.uid, left);
      else perUser.delete(caller.uid);
    });
  }
  const lines = new LineSplitter(caller.trusted ? MAX_LINE_BYTES : MAX_UNTRUSTED_LINE_BYTES);
  const answer = (message: AgentAnswer) => {
    if (!socket.destroyed) socket.write(encodeLine(message));
  };
  // One request at a time per connection, and none while its answers wait to be read: a client that sends
  // without reading holds a bounded buffer, not the agent's memory, and cannot crowd out the others.
  const queue: string[] = [];
  let busy = false;
  const pump = async () => {
    if (busy) return;
    busy = true;
    while (queue.length > 0 && !socket.destroyed) {
      if (socket.writableNeedDrain) await drained(socket);
      const line = queue.shift();
      if (line !== undefined && !socket.destroyed) await handle(line, caller, o, answer, socket);
    }
    busy = false;
    if (!socket.destroyed) socket.resume();
  };
  socket.on('data', (chunk: string) => {
    try {
      queue.push(...lines.push(chunk));
    } catch {
      socket.destroy();
      return;
    }
    if (queue.length >= MAX_QUEUED) socket.pause();
    void pump();
  });
}

/** Until the socket can take more, or is gone. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

async function handle(
  line: string,
  caller: Caller,
  o: StoreSocketOptions,
  answer: (message: AgentAnswer) => void,
  socket: Socket,
): Promise<void> {
  let request: unknown;
  try {
    request = decodeLine(line);
  } catch {
    request = null;
  }
  if (!isRequest(request)) {
    socket.destroy(); // not our protocol: nothing to answer
    return;
  }
  try {
    const exec = request.method === 'exec' && o.exec;
    let result: unknown;
    if (exec) {
      // A command may wait on locks for longer than a connection may idle: its client is waiting, not idle.
      socket.setTimeout(0);
      try {
        result = await exec(caller, request.args);
      } finally {
        socket.setTimeout(IDLE_MS);
      }
    } else result = await o.gate.call(caller, request.method, request.args);
    answer({ id: request.id, result: result ?? null });
  } catch (err) {
    const wire = toWire(err);
    if (wire.message !== (err as Error)?.message) o.log(`${request.method} for ${caller.user} failed: ${String(err)}`);
    answer({ id: request.id, error: wire });
  }
}
