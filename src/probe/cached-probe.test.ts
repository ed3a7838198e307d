import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProbeUnavailableError, type GpuProbe } from '../domain/ports.js';
import { CachedProbe } from './cached-probe.js';

test('reuses a reading within its age, shares one in flight, and never keeps a failure', async () => {
  let calls = 0;
  let fail = false;
  const inner: GpuProbe = {
    toolName: 'nvidia-smi',
    probe: async () => {
      calls++;
      if (fail) throw new ProbeUnavailableError('gone');
      return [];
    },
  };
  let now = 0;
  const probe = new CachedProbe(inner, { now: () => now }, 1000);
  await Promise.all([probe.probe(), probe.probe(), probe.probe()]);
  assert.equal(calls, 1);
  now = 999;
  await probe.probe();
  assert.equal(calls, 1);
  now = 1000;
  fail = true;
  await assert.rejects(probe.probe(), ProbeUnavailableError);
  fail = false;
  await probe.probe();
  assert.equal(calls, 3);
});
