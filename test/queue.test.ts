// The wait queue with the built CLI as processes, on SQLite and on Redis: a waiter killed outright
// leaves within 10 s, Ctrl-C leaves at once, --wait runs out with one line, the head proceeds on release.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, afterEach, before, describe, test } from 'node:test';
import { RedisServer } from '../support/redis-server.js';
import { eventually, finished, Sandbox } from '../support/sandbox.js';

const PLACE = (n: number, pos: number) =>
  `Waiting for ${n} GPU${n === 1 ? '' : 's'}: position ${pos} in queue (canhazgpu queue shows who is ahead)\n`;

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`the wait queue on ${kind}`, () => {
    let box: Sandbox;
    let server: RedisServer | null = null;
    let store: string;
    before(async () => {
      box = new Sandbox();
      box.setGpus({ gpus: [{}, {}] });
      server = kind === 'redis' ? await RedisServer.start({ persist: true }) : null;
      store = server?.url ?? box.storePath;
    });
    after(async () => {
      await server?.destroy();
      box.cleanup();
    });
    // The in-process fake GPUs: a stand-in nvidia-smi process per look would make each look take
    // seconds on a loaded machine, and this measures the queue, not the probe.
    const env = () => ({ CANHAZGPU_STORE: store, CANHAZGPU_PROVIDER: 'fake' });
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const child of children.splice(0))
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const cli = (args: string[]) => box.run(args, { env: env() });
    const spawnCli = (args: string[]) => {
      const child = box.spawn(args, { env: env() });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (d) => (stderr += d));
      return { child, done: finished(child), stderr: () => stderr };
    };
    const waiting = async () =>
      (JSON.parse((await cli(['queue', '--json'])).stdout) as { waiting: Array<{ user: string }> }).waiting;

    test('a waiter killed outright leaves the queue within 10 s; Ctrl-C leaves it at once', async () => {
      assert.equal((await cli(['admin', '--gpus', '2', '--force'])).code, 0);
      assert.equal((await cli(['reserve', '--gpus', '2', '--duration', '1h'])).code, 0);
      const first = spawnCli(['reserve', '--wait', '--gpus', '2']);
      await eventually(() => first.stderr() === PLACE(2, 1), 20_000);
      const second = spawnCli(['run', '--wait', '--', 'true']);
      await eventually(() => second.stderr() === PLACE(1, 2), 20_000);
      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      await first.done;
      // When the look that no longer saw it began (a look itself takes a while on a loaded machine).
      let lookedAt = 0;
      await eventually(async () => {
        lookedAt = Date.now();
        return (await waiting()).length === 1;
      }, 20_000);
      assert.ok(lookedAt - killedAt < 10_000, `the ghost stayed ${lookedAt - killedAt} ms`);
      await eventually(() => second.stderr().endsWith(PLACE(1, 1)), 5_000);
      second.child.kill('SIGINT');
      const stopped = await second.done;
      assert.equal(stopped.signal, 'SIGINT', 'it dies of the signal, as without --wait');
      assert.deepEqual(await waiting(), [], 'and left the queue on its way out');
      assert.equal((await cli(['release'])).code, 0);
    });

    test('--wait DURATION runs out with one line and exit 1; a waiting run proceeds on release', async () => {
      assert.equal((await cli(['admin', '--gpus', '2', '--force'])).code, 0);
      assert.equal((await cli(['reserve', '--gpus', '2', '--duration', '1h'])).code, 0);
      const gaveUp = await cli(['reserve', '--wait', '1s']);
      assert.equal(gaveUp.code, 1);
      assert.match(
        gaveUp.stderr,
        /^Waiting for 1 GPU: position 1 in queue \(canhazgpu queue shows who is ahead\)\nError: Gave up waiting for 1 GPU after 0h 0m 1s \(position 1 in queue\); nothing is held\n$/,
      );
      assert.deepEqual(await waiting(), []);
      const runner = spawnCli(['run', '--wait', '--gpus', '2', '--', 'sh', '-c', 'echo "on $CUDA_VISIBLE_DEVICES"']);
      let out = '';
      runner.child.stdout?.on('data', (d) => (out += d));
      await eventually(() => runner.stderr() === PLACE(2, 1), 20_000);
      assert.equal((await cli(['release'])).code, 0);
      const ran = await runner.done;
      assert.equal(ran.code, 0, runner.stderr());
      assert.equal(out, 'on 0,1\n');
      assert.deepEqual(await waiting(), []);
    });

    if (kind === 'redis') {
      test('a waiter rides out a Redis restart and is granted once GPUs come back', async () => {
        assert.equal((await cli(['admin', '--gpus', '2', '--force'])).code, 0);
        assert.equal((await cli(['reserve', '--gpus', '2', '--duration', '1h'])).code, 0);
        const waiter = spawnCli(['reserve', '--wait', '--gpus', '2', '--duration', '10m']);
        let out = '';
        waiter.child.stdout?.on('data', (d) => (out += d));
        await eventually(() => waiter.stderr() === PLACE(2, 1), 20_000);
        await server!.stop();
        await eventually(() => waiter.stderr().includes('Still waiting.\n'), 10_000);
        await server!.start();
        await eventually(async () => (await waiting()).length === 1, 10_000);
        assert.equal((await cli(['release'])).code, 0);
        const done = await waiter.done;
        assert.equal(done.code, 0, waiter.stderr());
        assert.equal(out, 'Reserved 2 GPU(s): [0, 1] for 0h 10m 0s\n');
        assert.match(
          waiter.stderr(),
          /^Waiting for 2 GPUs.*\nWarning: Cannot reach the GPU store at .*Still waiting\.\n/,
        );
      });
    }
  });
}
