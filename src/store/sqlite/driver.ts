// better-sqlite3, bundled into the CLI's chunk by the build: one file read instead of fifteen require()s,
// about a tenth of `node -e 0` on every command that opens a store. Its native addon is named directly,
// so the `bindings` package never searches the disk for it (nor guesses wrong from inside a bundle).
import Database from 'better-sqlite3';
import { createRequire } from 'node:module';

let addon: string | null | undefined;

/** better-sqlite3's options for finding its addon: its path when it resolves, else its own search. */
export function nativeBinding(): { nativeBinding?: string } {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
    } catch {
      addon = null;
    }
  }
  return addon === null ? {} : { nativeBinding: addon };
}

export { Database };
