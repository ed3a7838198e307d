// One marketplace's REST API: each call with a timeout, keys rotated on 401/403 and 429, idempotent
// calls retried on 5xx and network failures with back-off. Errors name keys by position only.
import type { Clock } from '../../domain/ports.js';
import { KeyRing } from './keys.js';

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/** The longest a call waits for a rate-limited key to rest before giving up. */
const MAX_WAIT_MS = 5_000;
const RETRIES = 2;
const RETRY_BASE_MS = 150; // vast-cli's own 0.15 s × 1.5 back-off (cloud-apis.md vast 10)

export interface ApiClientOptions {
  /** The provider's name, for messages. */
  provider: string;
  baseUrl: string;
  keys: readonly string[];
  /** The header(s) carrying a key. */
  auth: (key: string) => Record<string, string>;
  clock: Clock;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** One line per key trouble (position only). */
  warn?: (line: string) => void;
}

export interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Appended to the base URL. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Safe to send again after a 5xx or a timeout (a search, a list, a destroy). */
  idempotent: boolean;
}

export interface ApiAnswer {
  status: number;
  /** The JSON body, or null when the body is not JSON (vast's 429 is often plain text). */
  // biome-ignore lint/suspicious/noExplicitAny: each provider reads its own documented answer shape
  json: any;
  text: string;
  /** Retry-After in ms, when given (io.net may send it; vast never does: cloud-apis.md vast 10). */
  retryAfterMs: number | null;
}

/** A call that got no usable answer: no key left, a timeout, a network failure. */
export class CloudApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ApiClient {
  readonly keys: KeyRing;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: ApiClientOptions) {
    this.keys = new KeyRing(o.keys, o.clock);
    this.timeoutMs = o.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.sleep = o.sleep ?? realSleep;
  }

  /** The answer of the first key that is neither refused nor rate limited (any other status). */
  async call(c: ApiCall): Promise<ApiAnswer> {
    const url = new URL(this.o.baseUrl.replace(/\/+$/, '') + c.path);
    for (const [k, v] of Object.entries(c.query ?? {})) url.searchParams.set(k, v);
    const what = `${c.method} ${url.pathname}`;
    let retries = 0;
    for (let attempt = 0; attempt < this.keys.size * 2 + RETRIES + 2; attempt++) {
      const picked = this.keys.pick();
      if (!picked) {
        const wait = this.keys.readyIn();
        if (wait > MAX_WAIT_MS) break;
        await this.sleep(wait);
        continue;
      }
      let answer: ApiAnswer;
      try {
        answer = await this.send(url, c, picked.key);
      } catch (err) {
        const why = (err as Error).name === 'TimeoutError' ? `timed out after ${this.timeoutMs / 1000} s` : 'failed';
        if (!c.idempotent || retries >= RETRIES) {
          const reason = String((err as Error).cause ?? (err as Error).message);
          const cause = why === 'failed' ? `: ${this.keys.redact(reason)}` : '';
          throw new CloudApiError(`${this.o.provider}: ${what} ${why}${cause}`);
        }
        await this.sleep(RETRY_BASE_MS * 1.5 ** retries++);
        continue;
      }
      const n = `${this.o.provider}: API key #${picked.index + 1}`;
      if (answer.status === 401 || answer.status === 403) {
        this.keys.refused(picked.index, answer.status);
        this.o.warn?.(`${n} was refused (${answer.status}); trying the next key`);
        continue;
      }
      if (answer.status === 429) {
        this.keys.rateLimited(picked.index, answer.retryAfterMs);
        this.o.warn?.(`${n} is rate limited (429); backing off`);
        continue;
      }
      if (answer.status >= 500 && c.idempotent && retries < RETRIES) {
        await this.sleep(RETRY_BASE_MS * 1.5 ** retries++);
        continue;
      }
      this.keys.worked(picked.index);
      return answer;
    }
    throw new CloudApiError(`${this.o.provider}: no usable API key for ${what} (${this.keys.describe()})`);
  }

  /** A one-line reason from an answer the caller did not expect. */
  failure(what: string, a: ApiAnswer): CloudApiError {
    const detail = a.json?.msg ?? a.json?.detail ?? a.json?.error ?? a.text;
    const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
    const line = this.keys.redact(text).split('\n')[0]!.slice(0, 200);
    return new CloudApiError(`${this.o.provider}: ${what} answered ${a.status}${line ? `: ${line}` : ''}`, a.status);
  }

  private async send(url: URL, c: ApiCall, key: string): Promise<ApiAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.o.auth(key) };
    if (c.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, {
      method: c.method,
      headers,
      signal: AbortSignal.timeout(this.timeoutMs),
      ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // plain text (vast's 429, io.net's bare 404 "Not found")
    }
    const after = Number(res.headers.get('retry-after'));
    const retryAfterMs = res.headers.has('retry-after') && after >= 0 ? after * 1000 : null;
    return { status: res.status, json, text, retryAfterMs };
  }
}

/** The options of `o` named in `keys` that are set (exactOptional-friendly spreading). */
export function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<Pick<T, K>>;
}
