// A temporary folder of stores and fake machines for in-process command tests, and ways to read them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { FakeState } from '../../src/probe/fake/state.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import { testContext, type TestContext } from './context.js';

export const NOW = 1_800_000_000_000;
export const S = 1000;

export interface Paths {
  storePath: string;
  gpusPath: string;
}

/** A folder removed after the file's tests; `machine` makes a store path of its own and a fake machine. */
export function world(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), `canhazgpu-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return {
    dir,
    /** A store in a directory of its own (as admin wants) and a machine of `gpus` GPUs. */
    machine(gpus: number | FakeState['gpus']): Paths & { setGpus(state: FakeState): void } {
      const paths = { storePath: join(dir, `p${++n}`, 'state.db'), gpusPath: join(dir, `g${n}.json`) };
      const setGpus = (state: FakeState) => writeFileSync(paths.gpusPath, JSON.stringify(state));
      setGpus({ gpus: typeof gpus === 'number' ? Array.from({ length: gpus }, () => ({})) : gpus });
      return { ...paths, setGpus };
    },
  };
}

/** The status lines at `now`, without the last newline; fails on an exit code other than 0. */
export async function statusLines(paths: Paths, now = NOW, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const ctx = testContext({ ...paths, now, env });
  assert.equal(await statusCommand({ table: false, json: false }, ctx), 0, ctx.err());
  return ctx.out().replace(/\n$/, '').split('\n');
}

/** A context at `now` on `paths`, for one command. */
export function at(
  paths: Paths,
  now = NOW,
  o: { user?: string; uid?: number; env?: NodeJS.ProcessEnv } = {},
): TestContext {
  return testContext({ ...paths, now, ...o });
}
