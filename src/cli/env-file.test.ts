// The env file with the cloud keys is read only when the server's user owns it and nobody else may write it.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../domain/errors.js';
import { currentUid } from '../host/trusted-path.js';
import { loadEnvFile } from './env-file.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-env-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const VAR = 'CANHAZGPU_ENV_FILE_TEST';

function envFile(name: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, `${VAR}=${name}\n`);
  chmodSync(path, mode);
  return path;
}

test("a file of the server's user that others cannot write is loaded; the environment wins over it", () => {
  delete process.env[VAR];
  const path = envFile('mine', 0o600);
  const warnings: string[] = [];
  assert.equal(
    loadEnvFile(path, (l) => warnings.push(l)),
    path,
  );
  assert.equal(process.env[VAR], 'mine');
  loadEnvFile(envFile('later', 0o644), (l) => warnings.push(l));
  assert.equal(process.env[VAR], 'mine');
  assert.deepEqual(warnings, []);
  delete process.env[VAR];
});

test("a file others may write, another user's file, or a link is ignored with one warning line", () => {
  delete process.env[VAR];
  const warnings: string[] = [];
  const open = envFile('open', 0o666);
  assert.equal(
    loadEnvFile(open, (l) => warnings.push(l)),
    null,
  );
  assert.equal(
    loadEnvFile(envFile('theirs', 0o600), (l) => warnings.push(l), currentUid() + 1),
    null,
  );
  const link = join(dir, 'link');
  symlinkSync(envFile('target', 0o600), link);
  assert.equal(
    loadEnvFile(link, (l) => warnings.push(l)),
    null,
  );
  assert.equal(process.env[VAR], undefined);
  assert.deepEqual(warnings, [
    `ignoring ${open}: other users may write it (chmod go-w)`,
    `ignoring ${join(dir, 'theirs')}: it belongs to uid ${currentUid()}, not the server's user`,
    `ignoring ${link}: it is a symbolic link`,
  ]);
});

test('a missing --env-file is a usage error; a missing default .env is nothing', () => {
  assert.throws(() => loadEnvFile(join(dir, 'absent'), () => undefined), UsageError);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    assert.equal(
      loadEnvFile(undefined, () => assert.fail('no warning')),
      null,
    );
  } finally {
    process.chdir(cwd);
  }
});
