// The client side of `exec` (see agent-exec.ts): the launcher hands `status`, `reserve` and `release` to the
// host's agent, which runs it unless something of the caller's own could make it differ (the agent judges the
// CANHAZGPU_ variables; a config file of the caller's keeps the command here). Built apart (dist/agent-client.js) and
// loaded before the CLI, so it imports nothing but Node and the socket's trust check. Whatever goes wrong
// before the command was sent leaves the caller to run it itself (null); once sent, only the agent's answer
// counts, so a command is never run twice.
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { LineSplitter, MAX_ANSWER_BYTES } from '../store/agent/line-splitter.js';
import { checkAgentSocket } from '../store/agent/socket-path.js';
import { defaultConfigPaths } from './config-paths.js';

/** How long the agent may take to say it is there before the caller runs the command itself. */
const HELLO_MS = 2_000;

/** The agent's socket for a user without a config file of their own, or null (then the command runs itself). */
function plainSocket(env: NodeJS.ProcessEnv): string | null {
  const [own, system] = defaultConfigPaths(env);
  if (env['CANHAZGPU_CONFIG'] !== undefined || existsSync(own!)) return null;
  const named = env['CANHAZGPU_AGENT_SOCKET'];
  if (named !== undefined) return named.startsWith('/') ? named : null;
  try {
    const settings = JSON.parse(readFileSync(system!, 'utf8')) as Record<string, unknown>;
    return typeof settings['agent_socket'] === 'string' && settings['agent_socket'].startsWith('/')
      ? settings['agent_socket']
      : null;
  } catch {
    return null; // none, or one the command itself will report
  }
}

/** One answer line for each request sent, in order. */
function lines(socket: Socket): () => Promise<unknown> {
  const splitter = new LineSplitter(MAX_ANSWER_BYTES);
  const waiting: Array<(line: string | null) => void> = [];
  const ready: Array<string | null> = [];
  const deliver = (line: string | null) => {
    const next = waiting.shift();
    if (next) next(line);
    else ready.push(line);
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    try {
      for (const line of splitter.push(chunk)) deliver(line);
    } catch {
      socket.destroy(); // an answer past any bound: as if the agent had gone
    }
  });
  socket.on('close', () => deliver(null));
  socket.on('error', () => {});
  return () =>
    new Promise((resolve, reject) => {
      const settle = (line: string | null) => (line === null ? reject(new Error('closed')) : resolve(JSON.parse(line)));
      if (ready.length > 0) settle(ready.shift()!);
      else waiting.push(settle);
    });
}

/**
 * Runs `argv` through the agent and resolves to its exit code, having written its output; null when the caller
 * must run it itself (no agent, another store, a command or option the agent leaves to the caller).
 */
export interface ClientIo {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  /** A line for CANHAZGPU_DEBUG: which way the command went. */
  debug(line: string): void;
}

export async function handOver(argv: string[], build: string, io: ClientIo): Promise<number | null> {
  const { debug } = io;
  const path = plainSocket(io.env);
  const onInterrupt = (signal: NodeJS.Signals) => {
    io.stderr.write(
      "canhazgpu: interrupted; the agent may have run the command all the same: see 'canhazgpu status'\n",
    );
    for (const s of INTERRUPTS) process.off(s, onInterrupt);
    process.kill(process.pid, signal); // dies of the signal, as the command would have
  };
  if (path === null || checkAgentSocket(path).kind !== 'trusted') return null;
  const socket = connect(path);
  const next = lines(socket);
  const timer = setTimeout(() => socket.destroy(), HELLO_MS);
  let sent = false;
  try {
    socket.write('{"id":1,"method":"identity","args":[]}\n');
    // Only once the agent has answered is the command sent: one it may still run is never run here too.
    await next();
    clearTimeout(timer);
    const env = Object.fromEntries(Object.entries(io.env).filter(([name]) => name.startsWith('CANHAZGPU_')));
    const request = { argv, env, build, tty: io.stdout.isTTY === true };
    socket.write(`${JSON.stringify({ id: 2, method: 'exec', args: [request] })}\n`);
    sent = true;
    // Interrupted now, the command may still end in the agent: say so, rather than leave a reservation unmentioned.
    for (const signal of INTERRUPTS) process.on(signal, onInterrupt);
    const answer = (await next()) as {
      result?: { fallback?: string; code?: number; output?: unknown };
      error?: { message?: string };
    };
    const result = answer.result;
    if (!result || typeof result.code !== 'number' || !Array.isArray(result.output)) {
      debug(`the agent at ${path} leaves the command here: ${result?.fallback ?? answer.error?.message ?? '?'}`);
      return null;
    }
    debug(`ran by the agent at ${path}`);
    for (const [fd, text] of result.output as Array<[number, string]>)
      (fd === 2 ? io.stderr : io.stdout).write(String(text));
    return result.code;
  } catch {
    if (!sent) return null;
    io.stderr.write(
      `Error: the canhazgpu agent at ${path} stopped before the command ended; see 'canhazgpu status' for what it did\n`,
    );
    return 1;
  } finally {
    for (const signal of INTERRUPTS) process.off(signal, onInterrupt);
    clearTimeout(timer);
    socket.destroy();
  }
}

const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
