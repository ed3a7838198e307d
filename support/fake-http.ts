// The shared core of the fake marketplaces: a loopback HTTP server that records every request and
// answers scripted failures and latency before the fake's own routes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body, or the raw text, or undefined when empty. */
  body: unknown;
}

export interface Answer {
  status: number;
  /** An object is sent as application/json; a string as text/plain. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ScriptedFailure extends Answer {
  /** Only requests whose `METHOD path` matches (default: every request). */
  match?: RegExp;
  /** How many matching requests get it (default 1). */
  times?: number;
  /** Only requests sent with this key. */
  key?: string;
}

export type Route = (req: RecordedRequest) => Answer | null;

export class FakeHttp {
  readonly requests: RecordedRequest[] = [];
  /** Added to every answer (ms): for timeouts and concurrency. */
  latencyMs = 0;
  private readonly failures: ScriptedFailure[] = [];
  private server: Server | null = null;
  url = '';

  constructor(
    private readonly route: Route,
    private readonly keyOf: (req: RecordedRequest) => string | undefined,
  ) {}

  /** The next matching request(s) get this answer instead of the fake's own. */
  fail(failure: ScriptedFailure): void {
    this.failures.push({ times: 1, ...failure });
  }

  /** Recorded requests whose `METHOD path` matches. */
  calls(match: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => match.test(`${r.method} ${r.path}`));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text === '' ? undefined : text;
    try {
      if (text) body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    this.requests.push(recorded);
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    const answer = this.scripted(recorded) ?? this.route(recorded) ?? { status: 404, body: 'Not found' };
    const json = typeof answer.body !== 'string';
    res.writeHead(answer.status, { 'content-type': json ? 'application/json' : 'text/plain', ...answer.headers });
    res.end(answer.body === undefined ? '' : json ? JSON.stringify(answer.body) : answer.body);
  }

  private scripted(req: RecordedRequest): Answer | null {
    const i = this.failures.findIndex(
      (f) =>
        (!f.match || f.match.test(`${req.method} ${req.path}`)) && (f.key === undefined || f.key === this.keyOf(req)),
    );
    if (i < 0) return null;
    const f = this.failures[i]!;
    if (--f.times! <= 0) this.failures.splice(i, 1);
    return f;
  }
}
