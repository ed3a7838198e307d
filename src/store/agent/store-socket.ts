// The agent's side of the private store: a Unix socket every local user may connect to (0666), in the
// store's own directory (which only its owner may write, so nobody can put another socket there). Each
// connection is one caller, identified once by the kernel; its requests go through the StoreGate.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { currentUid } from '../../host/trusted-path.js';
import { type AgentAnswer, decodeLine, encodeLine, isRequest, LineSplitter, toWire } from './protocol.js';
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
  const server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    void serveConnection(socket, o);
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.path, () => resolve());
  });
  // Made just now by listen() in a directory only we may write; every user must be able to connect.
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

async function serveConnection(socket: Socket, o: StoreSocketOptions): Promise<void> {
  socket.setEncoding('utf8');
  socket.setTimeout(IDLE_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  // Data may arrive while the caller is being identified: keep it until then.
  const early: string[] = [];
  const buffer = (chunk: string) => early.push(chunk);
  socket.on('data', buffer);
  let caller: Caller;
  try {
    caller = await o.identify(socket);
  } catch (err) {
    o.log(`refused a connection: ${(err as Error).message}`);
    socket.destroy();
    return;
  }
  const lines = new LineSplitter();
  const answer = (message: AgentAnswer) => {
    if (!socket.destroyed) socket.write(encodeLine(message));
  };
  const receive = (chunk: string) => {
    let complete: string[];
    try {
      complete = lines.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const line of complete) void handle(line, caller, o, answer, socket);
  };
  socket.off('data', buffer);
  socket.on('data', receive);
  for (const chunk of early) receive(chunk);
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
    answer({ id: request.id, result: (await o.gate.call(caller, request.method, request.args)) ?? null });
  } catch (err) {
    const wire = toWire(err);
    if (wire.message !== (err as Error)?.message) o.log(`${request.method} for ${caller.user} failed: ${String(err)}`);
    answer({ id: request.id, error: wire });
  }
}
