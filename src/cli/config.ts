// Settings: flags first, then CANHAZGPU_* variables, then a JSON config file, then defaults.
import { lstatSync, readFileSync } from 'node:fs';
import { CLOUD_SETTINGS, cloudMoneyFrom } from './cloud-money.js';
import type { CloudMoney } from '../server/service/spending-caps.js';
import { hostname } from 'node:os';
import { defaultConfigPaths } from './config-paths.js';
import { dirname, isAbsolute } from 'node:path';
import { fileProblem, untrustedDirectory } from '../host/trusted-path.js';
import { UsageError } from '../domain/errors.js';
import { DAY_MS, DEFAULT_HISTORY_DAYS } from '../domain/history.js';
import { DEFAULT_STALE_AFTER_MS } from '../domain/liveness.js';
import { DEFAULT_IN_USE_THRESHOLD_MB } from '../domain/usage.js';
import { DEFAULT_ACCOUNTS } from '../server/records/sqlite/accounts-file.js';
import { DEFAULT_STORE } from '../store/defaults.js';

/**
 * `nvidia`: NVML when libnvidia-ml loads, else nvidia-smi (or amd-smi when only it is on PATH); `nvml`,
 * `nvidia-smi` and `amd` only that one.
 */
export const PROVIDERS = ['nvidia', 'nvml', 'nvidia-smi', 'amd', 'fake'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface Config {
  storeUrl: string;
  provider: ProviderName;
  fakeGpusPath: string | undefined;
  /** The NVML library to load (CANHAZGPU_NVML_LIBRARY); default `libnvidia-ml.so.1` from the loader's path. */
  nvmlLibrary: string | undefined;
  inUseThresholdMb: number;
  heartbeatMs: number;
  staleAfterMs: number;
  nvidiaSmiTimeoutMs: number;
  /** This host's name where its GPU reading is kept (CANHAZGPU_HOST, default the machine's hostname). */
  host: string;
  /** How old a shared GPU reading may be for allocation, and for `status`. */
  readingMaxAgeMs: number;
  statusReadingMaxAgeMs: number;
  /** Redis: how long to wait for another tool's allocation lock (it holds it 10 s at most). */
  lockWaitMs: number;
  /**
   * Redis: the socket where this host's `canhazgpu agent` keeps the store for its commands
   * (CANHAZGPU_AGENT_SOCKET): they then load no Redis client. Unset: every command talks to Redis.
   */
  agentSocket: string | undefined;
  /** How long ended reservations stay in the history (CANHAZGPU_HISTORY_DAYS, default 90 days). */
  historyRetentionMs: number;
  /** The server's users, keys and ledger (mode 0600). */
  accountsPath: string;
  /** `serve`: where to listen (a flag wins over these). */
  httpAddress: string;
  grpcAddress: string;
  /** Config files found but not used, with why (printed as warnings). */
  ignoredFiles: string[];
  /** `serve`: host names HTTP answers besides the loopback ones, comma-separated (a flag wins). */
  allowedHosts: string | undefined;
  /** `serve`: PEM certificate and key files for HTTPS and gRPC over TLS (a flag wins). */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** `serve`: reservation hours and the marketplaces' spending caps (`cloud.*`). */
  cloudMoney?: CloudMoney;
}

export interface GlobalFlags {
  store?: string;
  provider?: string;
  config?: string;
  accounts?: string;
}

/** Each setting: its key in the config file and its environment variable. */
const SETTINGS = {
  store: 'CANHAZGPU_STORE',
  provider: 'CANHAZGPU_PROVIDER',
  fake_gpus: 'CANHAZGPU_FAKE_GPUS',
  nvml_library: 'CANHAZGPU_NVML_LIBRARY',
  memory_threshold_mb: 'CANHAZGPU_MEMORY_THRESHOLD_MB',
  heartbeat_seconds: 'CANHAZGPU_HEARTBEAT_SECONDS',
  nvidia_smi_timeout_seconds: 'CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS',
  lock_wait_seconds: 'CANHAZGPU_LOCK_WAIT_SECONDS',
  accounts: 'CANHAZGPU_ACCOUNTS',
  http: 'CANHAZGPU_HTTP',
  grpc: 'CANHAZGPU_GRPC',
  allowed_hosts: 'CANHAZGPU_ALLOWED_HOSTS',
  tls_cert: 'CANHAZGPU_TLS_CERT',
  tls_key: 'CANHAZGPU_TLS_KEY',
  host: 'CANHAZGPU_HOST',
  reading_max_age_seconds: 'CANHAZGPU_READING_MAX_AGE_SECONDS',
  status_reading_max_age_seconds: 'CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS',
  history_days: 'CANHAZGPU_HISTORY_DAYS',
  agent_socket: 'CANHAZGPU_AGENT_SOCKET',
  ...CLOUD_SETTINGS,
} as const;
type SettingKey = keyof typeof SETTINGS;
type FileSettings = Partial<Record<SettingKey, string>>;

/**
 * Why a config file found in a default place must not be used, or null: root runs with a HOME that
 * another user may control (sudo -E, su), and that file's `store` could point root at any path. A file
 * named with --config or CANHAZGPU_CONFIG is the caller's own choice.
 */
function untrustedConfig(path: string): string | null {
  let problem: ReturnType<typeof fileProblem>;
  try {
    problem = fileProblem(path);
  } catch (err) {
    return `cannot look at it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`; // a HOME we may not enter
  }
  if (problem) return problem.kind === 'missing' ? null : problem.reason;
  if ((lstatSync(path).mode & 0o022) !== 0) return `${path} is writable by other users`;
  try {
    return untrustedDirectory(dirname(path));
  } catch (err) {
    return (err as Error).message;
  }
}

/** `{"cloud": {"max_hours": 24}}` is `{"cloud.max_hours": 24}`. */
function flattenCloud(parsed: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(parsed).flatMap(([key, value]) =>
    key === 'cloud' && value && typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value).map(([inner, v]): [string, unknown] => [`cloud.${inner}`, v])
      : [[key, value] as [string, unknown]],
  );
}

export interface LoadedConfigFile {
  path: string | null;
  settings: FileSettings;
  ignored: string[];
}

export function loadConfigFile(flags: GlobalFlags, env: NodeJS.ProcessEnv): LoadedConfigFile {
  const named = flags.config ?? env['CANHAZGPU_CONFIG'];
  const ignored: string[] = [];
  for (const path of named ? [named] : defaultConfigPaths(env)) {
    const distrust = named ? null : untrustedConfig(path);
    if (distrust) {
      ignored.push(`ignoring config file ${path}: ${distrust}`);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (named)
        throw new UsageError(
          `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new UsageError(`config file ${path} must hold a JSON object`);
    const settings: FileSettings = {};
    for (const [key, value] of flattenCloud(parsed as Record<string, unknown>)) {
      if (!(key in SETTINGS))
        throw new UsageError(`unknown setting '${key}' in ${path}; known: ${Object.keys(SETTINGS).join(', ')}`);
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new UsageError(`setting '${key}' in ${path} must be a string or a number`);
      settings[key as SettingKey] = String(value);
    }
    return { path, settings, ignored };
  }
  return { path: null, settings: {}, ignored };
}

export function resolveConfig(flags: GlobalFlags, env: NodeJS.ProcessEnv): Config {
  const file = loadConfigFile(flags, env);
  const raw = (key: SettingKey): string | undefined => {
    const fromEnv = env[SETTINGS[key]];
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : file.settings[key];
  };
  const where = (key: SettingKey) => (env[SETTINGS[key]] ? SETTINGS[key] : `'${key}' in ${file.path}`);
  const positive = (key: SettingKey, fallback: number): number => {
    const text = raw(key);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0)
      throw new UsageError(`${where(key)} must be a positive number, got '${text}'`);
    return value;
  };
  const provider = (flags.provider ?? raw('provider') ?? 'nvidia').trim().toLowerCase() as ProviderName;
  if (!PROVIDERS.includes(provider)) {
    const choices = `${PROVIDERS.slice(0, -1).join(', ')} or ${PROVIDERS.at(-1)}`;
    throw new UsageError(`unknown GPU provider '${provider}': use ${choices}`);
  }
  // Node turns a timer past 2^31 ms into 1 ms, and a heartbeat of a millisecond is a write per millisecond.
  const within = (key: SettingKey, fallback: number, min: number, max: number): number => {
    const value = positive(key, fallback);
    if (value < min || value > max) {
      throw new UsageError(
        `${where(key)} must be ${max === Infinity ? `at least ${min}` : `from ${min} to ${max}`}, got '${value}'`,
      );
    }
    return value;
  };
  /** A reading's age limit in seconds: 0 turns the sharing off (every command probes). */
  const age = (key: SettingKey, fallback: number): number => {
    const text = raw(key);
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value < 0 || value > 3600) {
      throw new UsageError(`${where(key)} must be from 0 to 3600 seconds, got '${text}'`);
    }
    return value * 1000;
  };
  const heartbeatSeconds = within('heartbeat_seconds', 60, 0.1, Infinity);
  // A heartbeat rarer than a third of the stale window lets a live run look abandoned.
  if (heartbeatSeconds > DEFAULT_STALE_AFTER_MS / 3000) {
    throw new UsageError(
      `${where('heartbeat_seconds')} must be at most ${DEFAULT_STALE_AFTER_MS / 3000} (a third of the ${DEFAULT_STALE_AFTER_MS / 1000} s stale window), got '${heartbeatSeconds}'`,
    );
  }
  return {
    storeUrl: flags.store ?? raw('store') ?? DEFAULT_STORE,
    provider,
    fakeGpusPath: raw('fake_gpus'),
    nvmlLibrary: raw('nvml_library'),
    inUseThresholdMb: positive('memory_threshold_mb', DEFAULT_IN_USE_THRESHOLD_MB),
    heartbeatMs: heartbeatSeconds * 1000,
    staleAfterMs: DEFAULT_STALE_AFTER_MS,
    nvidiaSmiTimeoutMs: within('nvidia_smi_timeout_seconds', 10, 0.1, 3600) * 1000,
    host: raw('host')?.trim() || hostname(),
    readingMaxAgeMs: age('reading_max_age_seconds', 2),
    statusReadingMaxAgeMs: age('status_reading_max_age_seconds', 10),
    lockWaitMs: within('lock_wait_seconds', 12, 0.1, 3600) * 1000,
    // Set but empty in the environment turns the file's off: a user's way around a socket closed to them.
    agentSocket: agentSocket(env[SETTINGS.agent_socket] === '' ? '' : raw('agent_socket'), where),
    historyRetentionMs: within('history_days', DEFAULT_HISTORY_DAYS, 1, 36_500) * DAY_MS,
    accountsPath: flags.accounts ?? raw('accounts') ?? DEFAULT_ACCOUNTS,
    httpAddress: raw('http') ?? '127.0.0.1:8080',
    grpcAddress: raw('grpc') ?? '127.0.0.1:9090',
    ignoredFiles: file.ignored,
    allowedHosts: raw('allowed_hosts'),
    tlsCert: raw('tls_cert'),
    tlsKey: raw('tls_key'),
    cloudMoney: cloudMoneyFrom(raw, where),
  };
}

/** `agent_socket`: an absolute path (each command runs in its own directory); empty turns it off. */
function agentSocket(text: string | undefined, where: (key: 'agent_socket') => string): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  if (!isAbsolute(text)) throw new UsageError(`${where('agent_socket')} must be an absolute path, got '${text}'`);
  return text;
}
