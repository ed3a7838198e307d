// `status` from the agent's status board, through the built CLI: with the agent running, a plain `status` reads
// one file (CANHAZGPU_DEBUG says so), shows what other processes did, prints the same for every user, and runs
// itself again once the agent has stopped and taken its board away.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RedisServer, redisServerAvailable } from '../support/redis-server.js';
import { type CliResult, eventually, finished, Sandbox } from '../support/sandbox.js';

const isRoot = process.getuid?.() === 0;
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
const FROM_BOARD = /^canhazgpu: read from the status board at .*\.status\.json$/m;
/** Readings as old as the commands take them by default (the sandbox turns sharing off), and who ran what. */
const PLAIN = {
  CANHAZGPU_READING_MAX_AGE_SECONDS: '2',
  CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '60',
  CANHAZGPU_DEBUG: '1',
};
/** A second may tick between two commands. */
const untimed = (text: string) => text.replace(/\d+h \d+m \d+s/g, 'T');

/** Runs `fn` while the agent keeps the box's pool and its board at `board`. */
async function withAgent(box: Sandbox, env: NodeJS.ProcessEnv, board: string, fn: () => Promise<void>) {
  const agent = box.spawn(['agent', '--interval', '1'], { env });
  const stopped = finished(agent);
  try {
    // Its first reading may take a while on a loaded machine (the stand-in nvidia-smi is a node process).
    await eventually(async () => FROM_BOARD.test((await box.run(['status'], { env })).stderr), 60_000);
    await fn();
  } finally {
    agent.kill('SIGTERM');
    await stopped;
  }
  assert.equal(existsSync(board), false, 'the agent takes its board away when it stops');
}

/** `status` until it shows `pattern`: within the second the board may lag for a change the agent is not told of. */
async function statusShowing(box: Sandbox, env: NodeJS.ProcessEnv, pattern: RegExp): Promise<CliResult> {
  const shown = await eventually(async () => {
    const r = await box.run(['status'], { env });
    return pattern.test(r.stdout) ? r : null;
  }, 1_000);
  return shown!;
}

describe('status from the status board, SQLite', () => {
  const box = new Sandbox();
  const env = PLAIN;
  const board = `${box.storePath}.status.json`;
  before(() => box.setGpus({ gpus: [{}, {}, {}, {}] }));
  after(() => box.cleanup());

  test('reads the board, shows other processes’ reservations, the same lines for nobody; runs itself once the agent stops', async () => {
    assert.equal((await box.run(['admin', '--gpus', '4'], { env })).code, 0);
    await withAgent(box, env, board, async () => {
      const reserved = await box.run(['reserve', '-G', '2', '--note', 'eval'], { env });
      assert.equal(reserved.code, 0, reserved.stderr);
      const seen = await statusShowing(box, env, /^GPU 2: IN USE by root .*\[note: eval\]$/m);
      assert.match(seen.stderr, FROM_BOARD);
      assert.match(seen.stdout, /^GPU 0: AVAILABLE$/m);
      if (isRoot) {
        const theirs = await box.run(['status'], { env, prefix: AS_NOBODY });
        assert.match(theirs.stderr, FROM_BOARD);
        assert.equal(untimed(theirs.stdout), untimed(seen.stdout));
      }
      const json = await box.run(['status', '--json'], { env });
      assert.match(json.stderr, FROM_BOARD);
      assert.deepEqual(
        (JSON.parse(json.stdout) as Array<{ status: string; note?: string }>).map((g) => g.note ?? g.status),
        ['available', 'available', 'eval', 'available'],
      );
      assert.equal((await box.run(['release'], { env })).code, 0);
      await statusShowing(box, env, /^GPU 2: AVAILABLE \(last released/m);
      // --table is the command's own.
      assert.doesNotMatch((await box.run(['status', '--table'], { env })).stderr, FROM_BOARD);
      // The board is read by whoever may read the store: closed to all but root's group (the README's way), it is
      // too, and nobody gets the command's own refusal.
      assert.equal(statSync(board).mode & 0o777, 0o644);
      if (isRoot) {
        for (const file of [box.storePath, `${box.storePath}-journal`]) chmodSync(file, 0o660);
        await eventually(() => (statSync(board).mode & 0o777) === 0o640, 2_000);
        const refused = await box.run(['status'], { env, prefix: AS_NOBODY });
        assert.equal(refused.code, 1);
        assert.doesNotMatch(refused.stderr, FROM_BOARD);
        assert.match(refused.stderr, /^Error: Cannot open the GPU store /m);
        for (const file of [box.storePath, `${box.storePath}-journal`]) chmodSync(file, 0o666);
      }
    });
    const itself = await box.run(['status'], { env });
    assert.equal(itself.code, 0, itself.stderr);
    assert.doesNotMatch(itself.stderr, FROM_BOARD);
    assert.match(itself.stdout, /^GPU 2: AVAILABLE \(last released/m);
  });
});

describe('status from the status board, Redis with agent_socket', {
  skip: !redisServerAvailable() && 'no redis-server',
}, () => {
  const box = new Sandbox();
  let server: RedisServer;
  let env: NodeJS.ProcessEnv;
  let board: string;
  before(async () => {
    server = await RedisServer.start();
    const run = join(box.dir, 'run');
    mkdirSync(run, { mode: 0o755 });
    env = { ...PLAIN, CANHAZGPU_STORE: server.url, CANHAZGPU_AGENT_SOCKET: join(run, 'agent.sock') };
    board = join(run, 'agent.sock.status.json');
    box.setGpus({ gpus: [{}, {}, {}, {}] });
  });
  after(async () => {
    await server.destroy();
    box.cleanup();
  });

  test('a reservation made straight on Redis, past the agent, shows on the board', async () => {
    assert.equal((await box.run(['admin', '--gpus', '4'], { env })).code, 0);
    await withAgent(box, env, board, async () => {
      const direct = { ...env, CANHAZGPU_AGENT_SOCKET: '' };
      const reserved = await box.run(['reserve', '-G', '1'], { env: direct });
      assert.equal(reserved.code, 0, reserved.stderr);
      assert.doesNotMatch(reserved.stderr, /agent/, 'it talked to Redis itself');
      const seen = await statusShowing(box, env, /^GPU 1: IN USE by root /m);
      assert.match(seen.stderr, FROM_BOARD);
      assert.equal((await box.run(['release'], { env: direct })).code, 0);
      await statusShowing(box, env, /^GPU 1: AVAILABLE \(last released/m);
    });
  });
});
