// The client that hands a command to the agent, against stand-in agents on a real socket: what it sends, what
// it prints, and when it leaves the command to its own process (null) rather than risk running it twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { handOver } from './agent-client.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-client-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A stand-in agent: `answer` decides, for each request line, what (if anything) to write back. */
async function agent(answer: (request: { id: number; method: string; args: unknown[] }, socket: Socket) => void) {
  const path = join(dir, `agent-${++n}.sock`);
  const requests: Array<{ method: string; args: unknown[] }> = [];
  const server: Server = createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const request = JSON.parse(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
        requests.push(request);
        answer(request, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const reply = (socket: Socket, id: number, result: unknown) => socket.write(`${JSON.stringify({ id, result })}\n`);
const identity = { location: 'redis://127.0.0.1:6379/0', host: 'h' };

/** Runs handOver with the socket set and nothing else of ours, capturing what it writes. */
async function handedOver(path: string, argv: string[]) {
  const written: string[] = [];
  const env = { CANHAZGPU_AGENT_SOCKET: path, CANHAZGPU_STORE: 'redis', HOME: dir };
  const code = await handOver(argv, 'b1', {
    env,
    stdout: { write: (text: string) => written.push(`1:${text}`) },
    stderr: { write: (text: string) => written.push(`2:${text}`) },
    debug: () => {},
  });
  return { code, written };
}

test('sends the command once the agent answers, and prints its output in order with its exit status', async () => {
  const stand = await agent((r, socket) => {
    if (r.method === 'identity') reply(socket, r.id, identity);
    else
      reply(socket, r.id, {
        code: 3,
        output: [
          [1, 'a\n'],
          [2, 'b\n'],
          [1, 'c\n'],
        ],
      });
  });
  try {
    assert.deepEqual(await handedOver(stand.path, ['status']), { code: 3, written: ['1:a\n', '2:b\n', '1:c\n'] });
    assert.deepEqual(
      stand.requests.map((r) => r.method),
      ['identity', 'exec'],
    );
    assert.deepEqual(stand.requests[1]!.args, [
      {
        argv: ['status'],
        env: { CANHAZGPU_AGENT_SOCKET: stand.path, CANHAZGPU_STORE: 'redis' },
        build: 'b1',
        tty: false,
      },
    ]);
  } finally {
    await stand.close();
  }
});

test('leaves the command to its own process when the agent says so, is older, or never answers', async () => {
  const fallback = await agent((r, socket) =>
    reply(socket, r.id, r.method === 'identity' ? identity : { fallback: 'another build' }),
  );
  const older = await agent((r, socket) =>
    r.method === 'identity'
      ? reply(socket, r.id, identity)
      : socket.write(
          `${JSON.stringify({ id: r.id, error: { name: 'UsageError', message: "does not serve 'exec'" } })}\n`,
        ),
  );
  const silent = await agent(() => {}); // a stopped agent whose socket still takes connections
  try {
    for (const stand of [fallback, older])
      assert.deepEqual(await handedOver(stand.path, ['reserve']), { code: null, written: [] });
    assert.deepEqual(await handedOver(silent.path, ['reserve']), { code: null, written: [] });
    assert.deepEqual(
      silent.requests.map((r) => r.method),
      ['identity'],
      'the command itself was never sent',
    );
    assert.deepEqual(await handedOver(join(dir, 'none.sock'), ['status']), { code: null, written: [] });
  } finally {
    await Promise.all([fallback.close(), older.close(), silent.close()]);
  }
});

test('an agent gone after taking the command is not second-guessed: one line, exit 1, never run again', async () => {
  const stand = await agent((r, socket) =>
    r.method === 'identity' ? reply(socket, r.id, identity) : socket.destroy(),
  );
  try {
    const { code, written } = await handedOver(stand.path, ['reserve']);
    assert.equal(code, 1);
    assert.match(
      written.join(''),
      /^2:Error: the canhazgpu agent at .* stopped before the command ended; see 'canhazgpu status' for what it did\n$/,
    );
  } finally {
    await stand.close();
  }
});
