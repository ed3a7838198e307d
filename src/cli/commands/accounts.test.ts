// user and apikey in-process, as an administrator runs them: keys printed once, a private accounts file,
// and reading and changing commands never create the accounts (only `user add` and `apikey create` do).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli } from '../../../test/support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-accounts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('without accounts, reading and changing commands say so in one line and create nothing', async () => {
  const accounts = join(dir, 'missing', 'server.db');
  const none =
    `Error: There are no accounts at ${accounts} yet: add a user first with ` +
    "'canhazgpu user add --email EMAIL' (or point --accounts at the server's file).\n";
  for (const args of [
    ['apikey', 'list'],
    ['apikey', 'list', '--user', 'a@example.com'],
    ['apikey', 'revoke', 'some-id'],
    ['user', 'list'],
    ['user', 'disable', '--email', 'a@example.com'],
    ['user', 'revoke-tokens', '--email', 'a@example.com'],
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

test('user add and apikey create/list/revoke; keys are printed once and the accounts file is private', async () => {
  const accounts = join(dir, 'admin', 'server.db');
  const run = (args: string[], stdin?: string) => cli(args, { accounts, ...(stdin === undefined ? {} : { stdin }) });
  const addAlice = ['user', 'add', '--email', 'alice@example.com', '--admin', '--password-stdin'];
  const added = await run(addAlice, 'correct horse battery\n');
  assert.equal(added.code, 0);
  assert.match(added.stdout, /^Added admin user alice@example\.com \([0-9a-f-]{36}\)\n$/);
  assert.equal(statSync(accounts).mode & 0o777, 0o600);
  const dup = await run(['user', 'add', '--email', 'alice@example.com', '--password-stdin'], 'another password\n');
  assert.deepEqual([dup.code, dup.stderr], [1, 'Error: a user with email alice@example.com already exists\n']);
  const weak = await run(['user', 'add', '--email', 'bob@example.com', '--password-stdin'], 'short\n');
  assert.deepEqual([weak.code, weak.stderr], [1, 'Error: the password must have at least 8 characters\n']);
  const created = await run(['apikey', 'create', '--name', 'ci', '--user', 'alice@example.com']);
  assert.equal(created.code, 0);
  assert.match(created.stdout, /^chg_[A-Za-z0-9_-]{43}\n$/);
  assert.match(
    created.stderr,
    /^API key 'ci' \([0-9a-f-]{36}\) for alice@example\.com: shown once, only its hash is kept\n$/,
  );
  const list = await run(['apikey', 'list', '--user', 'alice@example.com']);
  assert.match(list.stdout, /^[0-9a-f-]{36} {2}ci {2}created \S+ {2}active\n$/);
  assert.ok(!list.stdout.includes(created.stdout.trim()));
  const id = list.stdout.split(' ')[0]!;
  assert.equal((await run(['apikey', 'revoke', id, '--user', 'alice@example.com'])).stdout, `Revoked API key ${id}\n`);
  assert.equal((await run(['apikey', 'revoke', id, '--user', 'alice@example.com'])).code, 1);
  // A key for the local user, whose account is made on first use.
  const mine = await run(['apikey', 'create', '--name', 'laptop']);
  assert.match(mine.stderr, /^API key 'laptop' \([0-9a-f-]{36}\) for alice@\S+: shown once/);
});
