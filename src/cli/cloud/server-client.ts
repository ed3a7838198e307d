// What the `cloud` commands send to a canhazgpu server: its URL (--server, CANHAZGPU_SERVER, default
// http://127.0.0.1:8080) and an API key (CANHAZGPU_API_KEY), never printed; answers as JSON, failures
// as one line.
import { CanhazError, UsageError } from '../../domain/errors.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
/** A server that does not answer by then is reported, not waited on (a reservation creates instances). */
const REQUEST_TIMEOUT_MS = 120_000;

export interface ServerClient {
  readonly url: string;
  call(method: string, path: string, body?: unknown): Promise<unknown>;
}

export function serverClient(env: NodeJS.ProcessEnv, server: string | undefined): ServerClient {
  const text = (server ?? env.CANHAZGPU_SERVER ?? '').trim() || DEFAULT_SERVER;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server must be a URL such as ${DEFAULT_SERVER}, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--server must be an http:// or https:// URL, got '${text}'`);
  }
  const key = env.CANHAZGPU_API_KEY?.trim();
  if (!key) throw new UsageError('set CANHAZGPU_API_KEY to an API key of the server (canhazgpu apikey create)');
  const base = url.href.replace(/\/+$/, '');
  return {
    url: base,
    async call(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        throw new CanhazError(`cannot reach the server at ${base} (${cause})`);
      }
      const answer = (await res.json().catch(() => null)) as { error?: unknown } | null;
      if (!res.ok) {
        const why = typeof answer?.error === 'string' ? answer.error : `HTTP ${res.status}`;
        throw new CanhazError(`server: ${why.split('\n')[0]}`);
      }
      return answer;
    },
  };
}
