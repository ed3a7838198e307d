// `serve --env-file PATH` (default `.env` in the working directory): the cloud keys and base URLs.
// Read only when the server's user owns it and nobody else may write it: a planted `.env` could send
// the keys elsewhere through VASTAI_API_URL. Variables already in the environment win.
import { lstatSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../domain/errors.js';
import { currentUid } from '../host/trusted-path.js';

/** Why `st` may not be trusted, or null. */
function untrusted(st: Stats, me: number): string | null {
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isFile()) return 'it is not a regular file';
  if (st.uid !== me) return `it belongs to uid ${st.uid}, not the server's user`;
  if ((st.mode & 0o022) !== 0) return 'other users may write it (chmod go-w)';
  return null;
}

/**
 * Loads the env file into process.env; returns the path read, or null. `explicit`: the path came from
 * --env-file, so a missing file is a usage error; the default `.env` is optional.
 */
export function loadEnvFile(path: string | undefined, warn: (line: string) => void, me = currentUid()): string | null {
  const file = resolve(path ?? '.env');
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch {
    if (path !== undefined) throw new UsageError(`--env-file ${path}: no such file`);
    return null;
  }
  const why = untrusted(st, me);
  if (why) {
    warn(`ignoring ${file}: ${why}`);
    return null;
  }
  process.loadEnvFile(file);
  return file;
}
