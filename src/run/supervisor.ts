// Runs the user's command under a reservation: terminal and stdio inherited, signals passed through
// exactly once, a heartbeat while it runs, and its exit status returned.
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { childProcess } from '../host/builtins.js';
import { forwardsHangup, hasTerminal, terminalDeliversTo } from './terminal.js';

/** Signals a terminal sends to the whole foreground group; the child gets them without our help. */
const KEYBOARD_SIGNALS = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT']);
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

/** The timers `run --timeout` uses; tests pass ones they fire by hand. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** `run --timeout`: SIGTERM when `afterMs` is up, SIGKILL `killAfterMs` later if the command still runs. */
export interface TimeLimit {
  afterMs: number;
  killAfterMs: number;
  /** Told once, when the time is up (before SIGTERM is sent). */
  onTimeout?: () => void;
}

export interface SuperviseOptions {
  command: readonly string[];
  env: NodeJS.ProcessEnv;
  heartbeatMs: number;
  heartbeat: () => Promise<void>;
  stderr: { write(text: string): unknown };
  limit?: TimeLimit | null;
  timers?: Timers;
}

export interface Supervision {
  /** The command's process id; undefined when it could not be started. */
  pid: number | undefined;
  /** The child's exit code, 128 + signal number when a signal ended it, 126/127 when it never ran. */
  exitCode: Promise<number>;
  /** The signal that ended the child, once it has ended; null when it exited. */
  killedBy(): NodeJS.Signals | null;
  /** Stops forwarding signals; until then our own process ignores them and lives to release. */
  detachSignals(): void;
  /** Whether the time limit ran out before the command ended. */
  timedOut(): boolean;
}

export function supervise(options: SuperviseOptions): Supervision {
  const [file, ...args] = options.command;
  const child = childProcess().spawn(file!, args, { stdio: 'inherit', env: options.env });
  const hadTerminal = hasTerminal();
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      // SIGHUP neither ends nor releases: the child gets it as it would without us (once, or not at all
      // under setsid), and may live on; we release when it ends.
      if (signal === 'SIGHUP') {
        if (forwardsHangup(child.pid, hadTerminal) && child.exitCode === null && child.signalCode === null)
          child.kill(signal);
        return;
      }
      if (KEYBOARD_SIGNALS.has(signal) && terminalDeliversTo(child.pid)) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const timer = setInterval(() => void options.heartbeat(), options.heartbeatMs);
  const limit = enforceLimit(child, options.limit ?? null, options.timers ?? systemTimers);

  let killedBy: NodeJS.Signals | null = null;
  const exitCode = new Promise<number>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      const notFound = err.code === 'ENOENT';
      options.stderr.write(
        `Error: ${notFound ? 'command not found' : `cannot run command (${err.code ?? err.message})`}: ${file}\n`,
      );
      resolve(notFound ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      killedBy = signal;
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  }).finally(() => {
    clearInterval(timer);
    limit.stop();
  });

  return {
    pid: child.pid,
    exitCode,
    killedBy: () => killedBy,
    detachSignals: () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
    timedOut: () => limit.expired,
  };
}

/** Arms the time limit on `child` (nothing without one); `stop` disarms it once the child has ended. */
function enforceLimit(child: ChildProcess, limit: TimeLimit | null, timers: Timers) {
  const state = { expired: false, stop: () => {} };
  if (!limit) return state;
  const running = () => child.exitCode === null && child.signalCode === null;
  let kill: unknown = null;
  const term = timers.setTimeout(() => {
    if (!running()) return;
    state.expired = true;
    limit.onTimeout?.();
    child.kill('SIGTERM');
    kill = timers.setTimeout(() => {
      if (running()) child.kill('SIGKILL');
    }, limit.killAfterMs);
  }, limit.afterMs);
  state.stop = () => {
    timers.clearTimeout(term);
    if (kill !== null) timers.clearTimeout(kill);
  };
  return state;
}
