// Everything a command touches outside itself, injected so commands run in tests without a terminal.
import type { Clock, GpuProbe, Store } from '../domain/ports.js';
import type { OwnerState } from '../domain/liveness.js';
import type { OwnerRef } from '../domain/reservation.js';
import { systemClock } from '../domain/ports.js';
import { ownerOf, ownerState } from '../host/proc.js';
import { currentUserName } from '../host/users.js';
import { onPath } from '../host/path-lookup.js';
import { AmdSmiProbe } from '../probe/amd/amd-probe.js';
import { FakeProbe } from '../probe/fake/fake-probe.js';
import { BestNvidiaProbe } from '../probe/best-nvidia-probe.js';
import { NvidiaSmiProbe } from '../probe/nvidia/nvidia-probe.js';
import { NvmlProbe } from '../probe/nvml/nvml-probe.js';
import type { Records, RecordsOpenOptions } from '../server/records/ports.js';
import { openStore, type OpenOptions } from '../store/open.js';
import type { Config } from './config.js';
import { VERSION } from './version.js';

export interface Output {
  write(text: string): unknown;
  /** A terminal (process.stdout has it): the report then draws its bars in Unicode blocks. */
  isTTY?: boolean;
}

export interface Context {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  config: Config;
  clock: Clock;
  openStore(options?: OpenOptions): Promise<Store>;
  probe: GpuProbe;
  currentUser(): Promise<string>;
  /** The real uid of the caller: who may `admin --force` (-1 where there are none). */
  uid(): number;
  /** A process of this host as a reservation's owner: this one unless a pid is given. */
  ownerOf(pid?: number): OwnerRef;
  ownerState(owner: OwnerRef): OwnerState;
  /** The server's records (users, keys, ledger): the accounts file of the config. */
  openAccounts(options?: RecordsOpenOptions): Promise<Records>;
  /** Ends this process by `signal` (its default action); returns only where the signal is ignored. */
  dieOf(signal: NodeJS.Signals): void;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT). */
  shutdownSignal(): Promise<NodeJS.Signals>;
  /** Catches SIGINT, SIGTERM and SIGHUP until disposed (a wait in the queue leaves it first); absent: not caught. */
  interrupts?(): Interrupts;
}

export interface Interrupts {
  signal: Promise<NodeJS.Signals>;
  dispose(): void;
}

const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function processInterrupts(): Interrupts {
  let dispose = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals) => resolve(s);
    for (const name of INTERRUPTS) process.on(name, on);
    dispose = () => {
      for (const name of INTERRUPTS) process.off(name, on);
    };
  });
  return { signal, dispose };
}

export function probeFor(config: Config, path = process.env['PATH']): GpuProbe {
  const nvml = () => new NvmlProbe({ library: config.nvmlLibrary, timeoutMs: config.nvidiaSmiTimeoutMs });
  const nvidiaSmi = () => new NvidiaSmiProbe({ timeoutMs: config.nvidiaSmiTimeoutMs });
  const amd = () => new AmdSmiProbe({ timeoutMs: config.nvidiaSmiTimeoutMs });
  switch (config.provider) {
    case 'fake':
      return new FakeProbe(config.fakeGpusPath);
    case 'nvml':
      return nvml();
    case 'nvidia-smi':
      return nvidiaSmi();
    case 'amd':
      return amd();
    case 'nvidia':
      // The default: a machine with amd-smi and no nvidia-smi has AMD GPUs.
      if (!onPath('nvidia-smi', path) && onPath('amd-smi', path)) return amd();
      return new BestNvidiaProbe(nvml(), nvidiaSmi());
  }
}

/** The config's settings for opening the store, under the command's own. */
export function storeOptions(config: Config, options?: OpenOptions): OpenOptions {
  const { lockWaitMs, historyRetentionMs, host, agentSocket } = config;
  return { lockWaitMs, historyRetentionMs, host, version: VERSION, agentSocket, ...options };
}

export function systemContext(config: Config, io: { stdout: Output; stderr: Output; env: NodeJS.ProcessEnv }): Context {
  return {
    ...io,
    config,
    clock: systemClock,
    openStore: (options) => openStore(config.storeUrl, storeOptions(config, options)),
    probe: probeFor(config, io.env['PATH']),
    currentUser: currentUserName,
    uid: () => process.getuid?.() ?? -1,
    ownerOf,
    ownerState,
    openAccounts: async (options) =>
      (await import('../server/records/sqlite/sqlite-records.js')).SqliteRecords.open(config.accountsPath, options),
    dieOf: (signal) => {
      process.kill(process.pid, signal);
    },
    interrupts: processInterrupts,
    shutdownSignal: () =>
      new Promise((resolve) => {
        for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
      }),
  };
}
