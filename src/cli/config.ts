// Settings from global flags and the environment, flags first.
import { UsageError } from '../domain/errors.js';
import { DEFAULT_STALE_AFTER_MS } from '../domain/liveness.js';
import { DEFAULT_IN_USE_THRESHOLD_MB } from '../domain/usage.js';
import { DEFAULT_STORE } from '../store/defaults.js';

export type ProviderName = 'nvidia' | 'fake';

export interface Config {
  storeUrl: string;
  provider: ProviderName;
  fakeGpusPath: string | undefined;
  inUseThresholdMb: number;
  heartbeatMs: number;
  staleAfterMs: number;
  nvidiaSmiTimeoutMs: number;
  /** Redis: how long to wait for another tool's allocation lock (it holds it 10 s at most). */
  lockWaitMs: number;
}

export interface GlobalFlags {
  store?: string;
  provider?: string;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a positive number, got '${raw}'`);
  return value;
}

export function resolveConfig(flags: GlobalFlags, env: NodeJS.ProcessEnv): Config {
  const provider = (flags.provider ?? env['CANHAZGPU_PROVIDER'] ?? 'nvidia').trim().toLowerCase();
  if (provider !== 'nvidia' && provider !== 'fake') {
    throw new UsageError(`unknown GPU provider '${provider}': use nvidia or fake`);
  }
  return {
    storeUrl: flags.store ?? (env['CANHAZGPU_STORE'] || DEFAULT_STORE),
    provider,
    fakeGpusPath: env['CANHAZGPU_FAKE_GPUS'] || undefined,
    inUseThresholdMb: positiveNumber(env, 'CANHAZGPU_MEMORY_THRESHOLD_MB', DEFAULT_IN_USE_THRESHOLD_MB),
    heartbeatMs: positiveNumber(env, 'CANHAZGPU_HEARTBEAT_SECONDS', 60) * 1000,
    staleAfterMs: DEFAULT_STALE_AFTER_MS,
    nvidiaSmiTimeoutMs: positiveNumber(env, 'CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS', 10) * 1000,
    lockWaitMs: positiveNumber(env, 'CANHAZGPU_LOCK_WAIT_SECONDS', 12) * 1000,
  };
}
