// Reading and changing commands never create the accounts: only `user add` and `apikey create` do.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-accounts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('without accounts, reading and changing commands say so in one line and create nothing', async () => {
  const accounts = join(dir, 'missing', 'server.db');
  const none = `Error: There are no accounts at ${accounts} yet: add a user first with `
    + "'canhazgpu user add --email EMAIL' (or point --accounts at the server's file).\n";
  for (const args of [
    ['apikey', 'list'], ['apikey', 'list', '--user', 'a@example.com'], ['apikey', 'revoke', 'some-id'],
    ['user', 'list'],
    ['user', 'disable', '--email', 'a@example.com'], ['user', 'revoke-tokens', '--email', 'a@example.com'],
  ]) {
    const r = await cli(args, { accounts });
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', none], args.join(' '));
  }
  assert.equal(existsSync(join(dir, 'missing')), false);
  // `user add` makes them; then `apikey list` for a local user with no account yet makes none either.
  assert.equal((await cli(['user', 'add', '--email', 'a@example.com'], { accounts })).code, 0);
  const mine = await cli(['apikey', 'list'], { accounts });
  assert.equal(mine.code, 1);
  assert.match(mine.stderr, /^Error: no user alice@\S+ yet: 'canhazgpu apikey create --name NAME' makes it\n$/);
  assert.equal((await cli(['user', 'list'], { accounts })).stdout, 'a@example.com  a  user  active\n');
});
