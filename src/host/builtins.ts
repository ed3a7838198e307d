// Built-in modules that only some commands use, loaded on first use: Node compiles child_process and
// crypto on import, about 4% of a whole `node -e 0`, which a `status` on a fresh reading never needs.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const childProcess = (): typeof import('node:child_process') => require('node:child_process');
export const crypto = (): typeof import('node:crypto') => require('node:crypto');
