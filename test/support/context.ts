// An in-process Context for command tests: fixed clock, fixed user, captured output.
import { resolveConfig } from '../../src/cli/config.js';
import { probeFor, storeOptions, type Context } from '../../src/cli/context.js';
import type { OwnerRef } from '../../src/domain/reservation.js';
import { SqliteRecords } from '../../src/server/records/sqlite/sqlite-records.js';
import { openStore } from '../../src/store/open.js';

export interface TestContext extends Context {
  out: () => string;
  err: () => string;
  setNow(ms: number): void;
  /** The signals the command asked to die of. */
  died: NodeJS.Signals[];
}

export function testContext(options: {
  storePath: string;
  gpusPath?: string;
  user?: string;
  uid?: number;
  now?: number;
  env?: NodeJS.ProcessEnv;
}): TestContext {
  const died: NodeJS.Signals[] = [];
  let stdout = '';
  let stderr = '';
  let now = options.now ?? 1_800_000_000_000;
  const env = {
    CANHAZGPU_STORE: options.storePath,
    CANHAZGPU_PROVIDER: 'fake',
    CANHAZGPU_FAKE_GPUS: options.gpusPath,
    // Tests change the fake GPUs between commands on a clock that stands still: no shared reading is reused.
    CANHAZGPU_READING_MAX_AGE_SECONDS: '0',
    CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '0',
    ...options.env,
  };
  const config = resolveConfig({}, env);
  return {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    config,
    clock: { now: () => now },
    openStore: (o) => openStore(config.storeUrl, storeOptions(config, o)),
    probe: probeFor(config),
    currentUser: async () => options.user ?? 'alice',
    // The real uid unless told; only admin --force asks (the checks of the store's files use the real one).
    uid: () => options.uid ?? process.getuid?.() ?? -1,
    ownerOf: (pid = 1): OwnerRef => ({ host: 'test-host', pid, startTime: null }),
    ownerState: () => 'unknown' as const,
    openAccounts: async (o) => SqliteRecords.open(config.accountsPath, o),
    dieOf: (signal) => {
      died.push(signal);
    },
    died,
    shutdownSignal: () => new Promise(() => {}),
    out: () => stdout,
    err: () => stderr,
    setNow: (ms) => (now = ms),
  };
}
