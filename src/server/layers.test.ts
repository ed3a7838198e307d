// Each layer knows only its neighbours: checked on the import lines, so a shortcut fails here first.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const src = new URL('..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** What a module imports at run time (`import type` lines are erased). */
const runtimeImports = (path: string) =>
  [...readFileSync(path, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^']+)'/gms)].map((m) => m[1]!);

test('only the HTTP transport imports Hono', () => {
  const offenders = sources(join(src, 'server'))
    .filter((p) => !relative(src, p).startsWith('server/http/'))
    .filter((p) => runtimeImports(p).some((m) => m === 'hono' || m.startsWith('hono/') || m.startsWith('@hono/')));
  assert.deepEqual(
    offenders.map((p) => relative(src, p)),
    [],
  );
});

/** Every package the module loads at run time, through its own modules too. */
function packagesReached(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const m of runtimeImports(path)) {
      if (m.startsWith('.')) visit(resolve(dirname(path), m.replace(/\.js$/, '.ts')));
      else packages.add(m);
    }
  };
  visit(entry);
  return packages;
}

test('the gRPC API and the identity checks load no Hono, even through the modules they use', () => {
  for (const entry of ['server/grpc/service.ts', 'server/identity.ts', 'server/deps.ts']) {
    const hono = [...packagesReached(join(src, entry))].filter((m) => /^(@hono\/|hono($|\/))/.test(m));
    assert.deepEqual(hono, [], entry);
  }
});

test("the records' ports import nothing that does I/O", () => {
  assert.deepEqual(runtimeImports(join(src, 'server/records/ports.ts')), []);
});

test('the account commands know the ports, not the SQLite records', () => {
  for (const name of ['accounts.ts', 'users.ts']) {
    const imports = runtimeImports(join(src, 'cli/commands', name)).concat(
      [...readFileSync(join(src, 'cli/commands', name), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!),
    );
    assert.deepEqual(
      imports.filter((m) => m.includes('records/sqlite') || m.includes('records/memory')),
      [],
      name,
    );
  }
});
