// Whole commands the agent runs for this host's users (`exec` on its socket): a `status`, `reserve` or `release`
// that hands itself over loads none of the CLI, only a small client (agent-client.ts), and costs little more
// than starting Node. The command runs here as its caller would run it: on the gate as that caller (so it may
// do no more than the caller's own calls could), with the settings a user without settings of their own has.
// Anything else answers `fallback`, and the client runs the command itself.
import { UsageError } from '../domain/errors.js';
import { isFreshReading } from '../domain/reading-age.js';
import { type GpuProbe, ProbeUnavailableError, type ReadingStore, type Store, systemClock } from '../domain/ports.js';
import type { OwnerRef } from '../domain/reservation.js';
import {
  type AgentAnswer,
  type AgentRequest,
  decodeLine,
  encodeLine,
  fromWire,
  toWire,
} from '../store/agent/protocol.js';
import type { Caller, StoreGate } from '../store/agent/store-gate.js';
import { storeThrough } from '../store/open.js';
import { locationOf, parseStoreUrl } from '../store/store-url.js';
import { resolveConfig } from './config.js';
import type { Context } from './context.js';
import { unexpectedFailure } from './main.js';
import { main } from './program.js';

/** What the client sends: the arguments, its CANHAZGPU_ variables, its build, whether its output is a terminal. */
export interface ExecRequest {
  argv: string[];
  env: Record<string, string>;
  build: string;
  tty: boolean;
}

/** What the command wrote, in order: 1 its standard output, 2 its standard error. */
export type ExecOutput = Array<[1 | 2, string]>;
export type ExecAnswer = { fallback: string } | { code: number; output: ExecOutput };

/**
 * The commands handed over, each with the options the agent runs it with: any other (`--wait`, `--host`, `--all`,
 * `--help`, a global option, one added later) leaves the command to the caller's own process.
 */
const HANDED: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['status', new Set(['--table', '--json'])],
  ['reserve', new Set(['--gpus', '--duration', '-G', '--gpu-ids', '-n', '--note', '--extend', '--json'])],
  ['release', new Set(['-G', '--gpu-ids', '--json'])],
]);
/** Commands the agent runs at once for one user, and for everyone: beyond them, callers run their own. */
const AT_ONCE_PER_USER = 4;
const AT_ONCE = 32;
/** A HOME with no config file: the settings of a user who has none (/etc/canhazgpu/config.json, the defaults). */
const NO_HOME = '/nonexistent/canhazgpu-agent';
/**
 * The caller's variables the agent takes: those naming its store and pool (which must be the agent's) and those
 * shaping only what the command does. Any other (a file, a library, a probe of the caller's own) is left to the
 * caller's own process: the agent never opens what a caller names.
 */
const TAKEN_VARIABLES = new Set([
  'CANHAZGPU_STORE',
  'CANHAZGPU_HOST',
  'CANHAZGPU_AGENT_SOCKET',
  'CANHAZGPU_MEMORY_THRESHOLD_MB',
  'CANHAZGPU_READING_MAX_AGE_SECONDS',
  'CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS',
  'CANHAZGPU_LOCK_WAIT_SECONDS',
  'CANHAZGPU_HISTORY_DAYS',
  'CANHAZGPU_HEARTBEAT_SECONDS',
  'CANHAZGPU_DEBUG',
]);

export interface CommandRunnerOptions {
  /** The agent's probe (named in messages, never read for a caller) and owner checks serve the commands too. */
  probe: GpuProbe;
  ownerState: Context['ownerState'];
  /** The agent's process, named in the prober lock (the gate takes no claim from an ordinary caller). */
  prober: () => OwnerRef;
  /** This agent's build (null when not built: it then runs nothing for others). */
  build: string | null;
  /** The store and pool host the agent keeps: a user's plain settings must name the same. */
  location: string;
  host: string;
}

/** The build the launcher named (dist/cli.js), or null when the CLI runs from source. */
export function launcherBuild(): string | null {
  const build = (globalThis as Record<symbol, unknown>)[Symbol.for('canhazgpu.build')];
  return typeof build === 'string' && build !== 'unbuilt' ? build : null;
}

function isExecRequest(value: unknown): value is ExecRequest {
  const v = value as Partial<ExecRequest> | null;
  return (
    !!v &&
    Array.isArray(v.argv) &&
    v.argv.length <= 64 &&
    v.argv.every((a) => typeof a === 'string' && a.length <= 4096) &&
    !!v.env &&
    typeof v.env === 'object' &&
    Object.entries(v.env).every(([name, value]) => name.startsWith('CANHAZGPU_') && typeof value === 'string') &&
    typeof v.build === 'string' &&
    typeof v.tty === 'boolean'
  );
}

/** Why the command must run in the caller's own process, or null when the agent may run it. */
function mustRunItself(request: ExecRequest, o: CommandRunnerOptions): string | null {
  if (o.build === null || request.build !== o.build) return 'another build';
  const options = HANDED.get(request.argv[0] ?? '');
  if (!options) return 'not a command the agent runs';
  // A word after an option taking a value may itself start with '-' (a note): such a command runs itself too.
  const own = request.argv.slice(1).find((a) => a.startsWith('-') && !options.has(a.split('=')[0]!));
  if (own) return `${own.split('=')[0]} is run by the caller`;
  const variable = Object.keys(request.env).find((name) => !TAKEN_VARIABLES.has(name));
  return variable ? `${variable} is the caller's own` : null;
}

/** The agent's probe as a command run here sees it: named as it is, but never read (the reading went stale). */
function readingOnly(probe: GpuProbe): GpuProbe {
  return {
    get toolName() {
      return probe.toolName;
    },
    probe: () =>
      Promise.reject(new ProbeUnavailableError(`${probe.toolName} unavailable (the agent's reading is stale)`)),
  };
}

/** A message as the other side of the socket would read it. */
const overTheWire = <T extends AgentRequest | AgentAnswer>(message: T): T => decodeLine(encodeLine(message)) as T;

/** The store calls of a command run for `caller`: through the gate, encoded as they would be on the socket. */
function asCaller(gate: StoreGate, caller: Caller, location: string): Promise<Store> {
  return storeThrough(location, async (method, args) => {
    const request = overTheWire({ id: 0, method, args });
    let result: unknown;
    try {
      result = await gate.call(caller, method, request.args);
    } catch (err) {
      throw fromWire(toWire(err));
    }
    return overTheWire({ id: 0, result: result ?? null }).result;
  });
}

export function commandRunner(o: CommandRunnerOptions) {
  const running = new Map<number, number>();
  let total = 0;
  return (gate: StoreGate) =>
    async (caller: Caller, [raw]: unknown[]): Promise<ExecAnswer> => {
      if (!isExecRequest(raw)) throw new UsageError('the canhazgpu agent needs a command to run');
      const why = mustRunItself(raw, o);
      if (why) return { fallback: why };
      // One user's commands cannot hold the agent (and the reading it keeps) up: beyond these, they run their own.
      const mine = running.get(caller.uid) ?? 0;
      if (mine >= AT_ONCE_PER_USER || total >= AT_ONCE) return { fallback: 'the agent is busy' };
      running.set(caller.uid, mine + 1);
      total++;
      try {
        return await runFor(caller, raw, gate, o);
      } finally {
        total--;
        const left = (running.get(caller.uid) ?? 1) - 1;
        if (left > 0) running.set(caller.uid, left);
        else running.delete(caller.uid);
      }
    };
}

async function runFor(caller: Caller, raw: ExecRequest, gate: StoreGate, o: CommandRunnerOptions): Promise<ExecAnswer> {
  let config: ReturnType<typeof resolveConfig>;
  try {
    config = resolveConfig({}, { ...raw.env, HOME: NO_HOME });
  } catch (err) {
    return { fallback: (err as Error).message }; // the client's own run says what is wrong, in its words
  }
  if (config.ignoredFiles.length > 0) return { fallback: 'a config file is ignored' };
  const spec = parseStoreUrl(config.storeUrl);
  if (spec.kind !== 'redis' || locationOf(spec) !== o.location || config.host !== o.host)
    return { fallback: 'another store or host' };
  // A command run here never reads the GPUs itself (the agent is root): its reading must be fresh enough now.
  const store = (await asCaller(gate, caller, o.location)) as Store & ReadingStore;
  const reading = await store.latestReading(o.host);
  const maxAge = raw.argv[0] === 'status' ? config.statusReadingMaxAgeMs : config.readingMaxAgeMs;
  if (!isFreshReading(reading, Date.now(), maxAge)) return { fallback: 'no GPU reading fresh enough' };
  const output: ExecOutput = [];
  const io = {
    stdout: { write: (text: string) => output.push([1, text]), isTTY: raw.tty },
    stderr: { write: (text: string) => output.push([2, text]) },
    env: {},
    readStdin: async () => '',
  };
  const context = (): Context => ({
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    config,
    clock: systemClock,
    openStore: async () => store,
    probe: readingOnly(o.probe),
    currentUser: async () => caller.user,
    uid: () => caller.uid,
    ownerState: o.ownerState,
    ownerOf: (pid) => {
      if (pid === undefined) return o.prober();
      throw new UsageError('the canhazgpu agent runs no command that owns GPUs');
    },
    openAccounts: () => Promise.reject(new UsageError('the canhazgpu agent opens no accounts for others')),
    dieOf: () => {},
    shutdownSignal: () => new Promise(() => {}),
    interrupts: undefined,
  });
  try {
    return { code: await main(raw.argv, io, context), output };
  } catch (err) {
    output.push([2, unexpectedFailure(err)]);
    return { code: 1, output };
  }
}
