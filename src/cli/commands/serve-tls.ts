// `serve --tls-cert FILE --tls-key FILE`: read and checked before anything listens, so a wrong path or
// a key that does not match its certificate is one clear line rather than a failed handshake later.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { UsageError } from '../../domain/errors.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

function read(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`cannot read ${flag} ${path}: ${why}`);
  }
}

/** Both files, or null when neither is given. */
export function readTlsFiles(certPath: string | undefined, keyPath: string | undefined): TlsFiles | null {
  if (!certPath && !keyPath) return null;
  if (!certPath || !keyPath) throw new UsageError('--tls-cert and --tls-key go together: give both or neither');
  const files = { cert: read('--tls-cert', certPath), key: read('--tls-key', keyPath) };
  try {
    createSecureContext(files);
  } catch (err) {
    throw new UsageError(`--tls-cert and --tls-key are not a usable certificate and key: ${(err as Error).message}`);
  }
  return files;
}
