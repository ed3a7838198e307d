// One GPU reading per host, shared through the store by real processes: simultaneous commands make one
// nvidia-smi probe, an agent's readings spare every command its own, a killed agent's reading ages out.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, FAKE_SMI, finished, Sandbox } from '../support/sandbox.js';

describe('the shared GPU reading', () => {
  const box = new Sandbox();
  const log = join(box.dir, 'nvidia-smi.log');
  const calls = (who: string) => {
    try {
      return readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line === who).length;
    } catch {
      return 0;
    }
  };
  before(async () => {
    box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
    // nvidia-smi as slow as on a big machine (1 s a call), logging who called it.
    const smi = join(box.binDir, 'nvidia-smi');
    rmSync(smi);
    writeFileSync(
      smi,
      `#!/bin/sh\necho "\${WHO:-cmd}" >> ${log}\nsleep 1\nexec ${process.execPath} ${FAKE_SMI} "$@"\n`,
      { mode: 0o755 },
    );
    await box.run(['admin', '--gpus', '8']);
  });
  after(() => box.cleanup());
  const shared = { CANHAZGPU_READING_MAX_AGE_SECONDS: '60', CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '60' };

  test('16 reserves at once make one probe between them (two nvidia-smi queries), and none warns', async () => {
    rmSync(log, { force: true });
    const results = await Promise.all(
      Array.from({ length: 16 }, () => box.run(['reserve', '--duration', '1h'], { env: shared })),
    );
    assert.deepEqual(
      results.map((r) => [r.code, r.stderr]).filter(([code]) => code !== 0),
      Array(8).fill([1, 'Error: Not enough GPUs available. Requested: 1, Available: 0\n']),
    );
    assert.equal(results.filter((r) => r.code === 0).length, 8);
    assert.equal(calls('cmd'), 2);
    await box.run(['release']);
  });

  test('with the agent running, commands start no nvidia-smi; once it is killed, its reading ages out', async () => {
    rmSync(log, { force: true });
    const ages = { CANHAZGPU_READING_MAX_AGE_SECONDS: '3', CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '3' };
    const agent = box.spawn(['agent', '--interval', '0.2'], { env: { WHO: 'agent' } });
    const stopped = finished(agent);
    try {
      await eventually(() => calls('agent') >= 4, 30_000); // two readings saved
      const status = await box.run(['status'], { env: ages });
      assert.deepEqual([status.code, status.stderr, status.stdout.split('\n').length], [0, '', 9]);
      const reserve = await box.run(['reserve', '--gpus', '2'], { env: ages });
      assert.equal(reserve.code, 0, reserve.stderr);
      assert.equal(calls('cmd'), 0);
    } finally {
      agent.kill('SIGKILL');
      await stopped;
    }
    await eventually(async () => {
      const status = await box.run(['status'], { env: ages });
      return status.code === 0 && calls('cmd') > 0;
    }, 30_000);
    await box.run(['release']);
  });

  // Without the take-over the status would wait out the killed prober's lock: 2 x 120 s + 1 s, past this test's limit.
  test('a command killed mid-probe holds no other up: the next one takes its lock over', {
    timeout: 90_000,
  }, async () => {
    rmSync(log, { force: true });
    const env = { CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS: '120' };
    const victim = box.spawn(['reserve', '--duration', '1h'], { env: { ...env, WHO: 'victim' } });
    const gone = finished(victim);
    await eventually(() => calls('victim') >= 1, 30_000); // in its first nvidia-smi query, holding the lock
    victim.kill('SIGKILL');
    await gone;
    const status = await box.run(['status'], { env });
    assert.deepEqual([status.code, status.stderr], [0, '']);
    assert.equal(calls('cmd'), 2, 'it probed itself, once');
  });

  test('agent stops on SIGTERM with a line, and refuses a bad interval', async () => {
    const bad = await box.run(['agent', '--interval', '0']);
    assert.deepEqual(
      [bad.code, bad.stderr],
      [1, "Error: --interval must be a number of seconds from 0.1 to 3600, got '0'\n"],
    );
    const agent = box.spawn(['agent']);
    const done = finished(agent);
    let out = '';
    agent.stdout!.on('data', (d) => (out += d));
    await eventually(() => out.includes('keeping the GPU reading'));
    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0);
    assert.match(
      out,
      /^canhazgpu agent: keeping the GPU reading of \S+ fresh every 1s\ncanhazgpu agent stopping \(SIGTERM\)\n$/,
    );
  });
});
