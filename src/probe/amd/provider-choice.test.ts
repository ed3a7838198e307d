// Which probe a config gets: amd-smi when asked for, or by default on a machine with amd-smi and no nvidia-smi.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveConfig } from '../../cli/config.js';
import { probeFor } from '../../cli/context.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-provider-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function binWith(...tools: string[]): string {
  const bin = join(dir, tools.join('+') || 'none');
  mkdirSync(bin, { recursive: true });
  for (const tool of tools) {
    writeFileSync(join(bin, tool), '#!/bin/sh\n');
    chmodSync(join(bin, tool), 0o755);
  }
  return bin;
}

const probe = (env: NodeJS.ProcessEnv, path: string) => probeFor(resolveConfig({}, { HOME: dir, ...env }), path);

test('--provider amd is amd-smi, whatever PATH holds', () => {
  const p = probe({ CANHAZGPU_PROVIDER: 'amd' }, binWith('nvidia-smi'));
  assert.deepEqual([p.toolName, p.vendor], ['amd-smi', 'amd']);
});

test('by default: amd-smi alone means AMD; nvidia-smi, or neither, means NVIDIA', () => {
  assert.equal(probe({}, binWith('amd-smi')).vendor, 'amd');
  assert.equal(probe({}, binWith('amd-smi', 'nvidia-smi')).vendor, undefined);
  assert.equal(probe({}, binWith()).vendor, undefined);
  // A relative PATH entry is not looked in: it would depend on the working directory.
  assert.equal(probe({}, 'relative/bin').vendor, undefined);
});
